// The nova-compute service of a host: found by host name, with messages that say what to do.
import { NotFoundError } from "../openstack/errors";
import type { NovaClient } from "../openstack/nova";
import type { ComputeService } from "../openstack/novaTypes";
import { COMPUTE_STATUS_DISABLED, type PlacementClient } from "../openstack/placement";
import { waitFor } from "../openstack/wait";

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

/**
 * Why Nova's scheduler would not pick `host` now, or undefined: its service must be up, enabled (not even
 * nova-compute's own transient "AUTO:" disable) and not forced down, and no resource provider of the host
 * may carry COMPUTE_STATUS_DISABLED — Placement learns of an enable only when the compute syncs the trait,
 * and until then every boot or move onto the host fails with "No valid host".
 */
export async function notSchedulable(nova: NovaClient, placement: PlacementClient, host: string): Promise<string | undefined> {
    const svc = await computeService(nova, host);
    if (svc.forced_down || svc.state !== "up" || svc.status !== "enabled") return describeService(svc);
    // The pattern is a substring match (compute-1 also finds compute-10); the service's host decides.
    const hypervisors = (await nova.listHypervisors({ hostnamePattern: host }).catch((e: Error) => (e instanceof NotFoundError ? [] : Promise.reject(e)))).filter(
        (h) => h.service?.host === host,
    );
    if (hypervisors.length === 0) return `no hypervisor of ${host} is registered with Nova yet`;
    for (const h of hypervisors) {
        if ((await placement.providerTraits(String(h.id))).includes(COMPUTE_STATUS_DISABLED)) {
            return `Placement still marks ${h.hypervisor_hostname} ${COMPUTE_STATUS_DISABLED} (nova-compute on ${host} has not synced its enable yet)`;
        }
    }
    return undefined;
}

/** Waits (bounded) until `host` is schedulable; the timeout error says what still stands in the way. */
export async function waitSchedulable(nova: NovaClient, placement: PlacementClient, host: string, timeoutMs: number): Promise<void> {
    await waitFor(`${host} to be schedulable again`, () => notSchedulable(nova, placement, host), (why) => why === undefined, {
        timeoutMs,
        intervalMs: 500,
        maxIntervalMs: 5000,
        describe: (why) => why ?? "schedulable",
    });
}
