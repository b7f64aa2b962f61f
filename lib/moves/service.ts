// The nova-compute service of a host: found by host name, with messages that say what to do.
import type { NovaClient } from "../openstack/nova";
import type { ComputeService } from "../openstack/novaTypes";

export async function computeService(nova: NovaClient, host: string): Promise<ComputeService> {
    const services = (await nova.listComputeServices({ host })).filter((s) => s.binary === "nova-compute" && s.host === host);
    const svc = services[0];
    if (!svc) throw new Error(`no nova-compute service on host ${host}: check the name with \`openstack compute service list\``);
    return svc;
}

export function describeService(s: ComputeService): string {
    return `nova-compute on ${s.host} is ${s.state}${s.forced_down ? " (forced down)" : ""}, ${s.status}${s.disabled_reason ? ` (${s.disabled_reason})` : ""}`;
}
