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

/** Masakari's disable reason for a host it recovers ([host_failure] service_disable_reason's default). */
export const MASAKARI_DISABLED = /^Masakari detected host failed/;

/**
 * Why `host` cannot take a server now (forced down: fenced or evacuated; down; disabled), or undefined.
 * A live migration there would fail anyway; one onto a failed host must not even be tried.
 */
export function unavailable(s: ComputeService): string | undefined {
    if (s.forced_down) return `${describeService(s)}: it was fenced or evacuated`;
    if (s.state !== "up") return describeService(s);
    // nova-compute's own "AUTO: Connection to libvirt lost" is transient; the pre-flight says more about it.
    if (s.status === "disabled" && !/^AUTO:/.test(s.disabled_reason ?? "")) return describeService(s);
    return undefined;
}
