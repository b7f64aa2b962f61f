// How every OpenStack provider gets its clients: from the stack's `openstack` config (a clouds.yaml cloud
// name and region) and the environment (clouds.yaml, OS_*), read when the engine configures the provider.
// Credentials never pass through resource inputs or outputs, so they never reach the state.
import type * as pulumi from "@pulumi/pulumi";
import { CinderClient } from "../lib/openstack/cinder";
import { GlanceClient } from "../lib/openstack/glance";
import { loadCloud } from "../lib/openstack/loadCloud";
import { MasakariClient } from "../lib/openstack/masakari";
import { NovaClient } from "../lib/openstack/nova";
import { PlacementClient } from "../lib/openstack/placement";
import { OpenStackSession } from "../lib/openstack/session";

export interface OpenStackClients {
    session: OpenStackSession;
    nova: NovaClient;
    cinder: CinderClient;
    glance: GlanceClient;
    masakari: MasakariClient;
    placement: PlacementClient;
}

export function openstackClients(config: pulumi.dynamic.Config): OpenStackClients {
    const text = config.get("openstack");
    const settings = (text ? JSON.parse(text) : {}) as { cloud?: string; region?: string };
    const session = new OpenStackSession(loadCloud({ cloud: settings.cloud, region: settings.region, env: process.env }));
    return { session, nova: new NovaClient(session), cinder: new CinderClient(session), glance: new GlanceClient(session), masakari: new MasakariClient(session), placement: new PlacementClient(session) };
}

/** The clients, or a clear error when the engine never configured the provider. */
export function mustHave(clients: OpenStackClients | undefined, provider: string): OpenStackClients {
    if (!clients) throw new Error(`${provider}: the provider was not configured (no stack config reached it)`);
    return clients;
}
