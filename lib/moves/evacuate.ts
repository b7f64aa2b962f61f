// Recovery of servers from a failed host. Never while the host may still run them: its fence device must
// have powered it off and report it off, or the operator must have declared it fenced (powered off by other
// means). A down compute service is no proof: a crashed nova-compute, a broken message bus or a network
// partition look the same to Nova while the guests go on running. Once the host is off, its service is
// forced down, so Nova lets the servers be rebuilt elsewhere at once.
import type { FenceDevice } from "../fencing/agent";
import { FenceError, fenceOff, powerStatus } from "../fencing/fence";
import { waitEvacuationsCleanedUp } from "../openstack/evacuate";
import type { NovaClient } from "../openstack/nova";
import { waitForServerStatus } from "../openstack/serverWait";
import { evacuateMany } from "./evacuateMany";
import { describeProgress, runPool } from "./pool";
import type { ServerMove } from "./serverMove";
import { computeService } from "./service";

/** The host's power device, with how long it may take to report the host off. */
export type EvacuationFence = FenceDevice & { timeoutSeconds: number };

export interface EvacuationPlan {
    host: string;
    /** The operator says the host is powered off: no fence device needs to confirm it. */
    fenced: boolean;
    /** The host's power device: the evacuation powers the host off through it and waits for "off". */
    fence?: EvacuationFence;
    /** Server ids to recover; default every server on the host. */
    serverIds?: string[];
    /** Where to; default the scheduler's choice. */
    target?: string;
    /** Hard-reboot each server that comes back stopped from its rebuild (SHUTOFF ones come back ACTIVE); ACTIVE ones already run. */
    reboot: boolean;
    concurrency: number;
    timeoutSeconds: number;
    /** The resource's URN, for progress lines while it runs. */
    progressUrn?: string;
}

export type Evacuated = ServerMove;

/** How the host was proven off before anything was rebuilt elsewhere. */
export interface Fencing {
    /** fence-device: powered off (or found off) by its device; declared: the operator's fenced: true. */
    method: "fence-device" | "declared";
    /** The device already reported the host off. */
    alreadyOff: boolean;
    /** Time spent fencing (device reads and power-off), ms. */
    durationMs: number;
    /** What the device said when it could not be read (declared fenced only). */
    note?: string;
}

/**
 * Makes sure the host is off, or throws naming the reason; then forces its compute service down.
 * With a fence device: fenced: true needs the device not to report the host on (a device that cannot be
 * read is the operator's call); otherwise the host is powered off and must then read "off".
 */
export async function fenceForEvacuation(nova: NovaClient, plan: Pick<EvacuationPlan, "host" | "fenced" | "fence">): Promise<Fencing> {
    const { host, fence } = plan;
    const start = Date.now();
    let fencing: Fencing;
    if (fence && plan.fenced) {
        const power = await powerStatus(host, fence).catch((err: Error) => err);
        if (power === "on") {
            throw new FenceError(
                host,
                `refusing to evacuate ${host}: it is declared fenced, but its fence device (${fence.agent} at ${fence.address}) reports it powered on, ` +
                    `so it may still be running its servers. Power it off (or remove fenced: true and let the stack do it)`,
            );
        }
        fencing = { method: "declared", alreadyOff: power === "off", durationMs: Date.now() - start, ...(power instanceof Error ? { note: power.message } : {}) };
    } else if (fence) {
        const r = await fenceOff(host, fence, { timeoutMs: fence.timeoutSeconds * 1000 });
        fencing = { method: "fence-device", alreadyOff: r.alreadyOff, durationMs: r.durationMs };
    } else if (plan.fenced) {
        fencing = { method: "declared", alreadyOff: true, durationMs: 0 };
    } else {
        throw new FenceError(
            host,
            `refusing to evacuate ${host}: nothing proves it is off (whatever Nova reports: a down nova-compute may be a crashed service ` +
                `or a cut network while the guests run on). Declare its fence device in fenceDevices, or power it off and set fenced: true`,
        );
    }
    const svc = await computeService(nova, host);
    if (!svc.forced_down) await nova.updateComputeService(String(svc.id), { forcedDown: true });
    return fencing;
}

export async function evacuateHost(
    nova: NovaClient,
    plan: EvacuationPlan,
    progress: (message: string) => void = () => undefined,
): Promise<{ fencing: Fencing; evacuated: Evacuated[]; failures: { serverId: string; error: string }[] }> {
    progress(`fencing ${plan.host}`);
    const fencing = await fenceForEvacuation(nova, plan);
    const onHost = await nova.listServers({ host: plan.host, allTenants: true });
    const servers = plan.serverIds ? onHost.filter((s) => plan.serverIds!.includes(s.id)) : onHost;
    const timeoutMs = plan.timeoutSeconds * 1000;
    const outcomes = await evacuateMany(nova, plan.host, servers, {
        target: plan.target,
        concurrency: plan.concurrency,
        timeoutMs,
        onProgress: (p) => progress(`evacuating ${plan.host}: ${describeProgress(p, "recovered")}`),
    });
    const moved = outcomes.filter((x) => x.result);
    // The rebuild boots an ACTIVE server from its disk at once: rebooting it again would only cut that boot
    // short. The reboot starts those that came back stopped, so that each one runs again.
    const stopped = plan.reboot ? moved.filter((x) => x.statusAfter !== "ACTIVE") : [];
    const rebooted = await runPool(stopped, plan.concurrency, async (x) => {
        await nova.rebootServer(x.server.id, "HARD");
        await waitForServerStatus(nova, x.server.id, { status: "ACTIVE", failStates: ["ERROR"], timeoutMs });
    });
    const failures = [
        ...outcomes.filter((x) => x.error).map((x) => ({ serverId: x.server.id, error: x.error!.message })),
        ...rebooted.filter((r) => r.error).map((r) => ({ serverId: r.item.server.id, error: `rebuilt on ${r.item.result!.destination}, but its hard reboot failed: ${r.error!.message}` })),
    ];
    return {
        fencing,
        evacuated: moved.map(({ server, result }) => ({ serverId: server.id, serverName: server.name, migrationId: result!.migrationId, source: result!.source, destination: result!.destination, durationMs: result!.durationMs })),
        failures,
    };
}

/**
 * After the failed host came back: its nova-compute marks each evacuation off it `completed` once it removed
 * the stale guest. Only then is the service unforced (Nova refuses earlier, and it would be unsafe).
 */
export async function recoverHost(nova: NovaClient, host: string, timeoutSeconds: number, fence?: FenceDevice): Promise<void> {
    const svc = await computeService(nova, host);
    if (!svc.forced_down) return;
    // Powering the host on is the operator's decision (it was fenced for a reason): say so at once
    // rather than wait for a clean-up that cannot happen.
    if (fence && (await powerStatus(host, fence).catch(() => undefined)) === "off") {
        throw new Error(
            `${host} is still forced down: its fence device reports it powered off. Power it on (e.g. through its BMC), ` +
                `let nova-compute start and clean up the evacuated servers, then run pulumi up again`,
        );
    }
    await waitEvacuationsCleanedUp(nova, host, timeoutSeconds * 1000).catch((err: Error) => {
        throw new Error(`${host} is still forced down: ${err.message}. Start nova-compute on ${host} so that it cleans up the evacuated servers, then run pulumi up again`);
    });
    await nova.updateComputeService(String(svc.id), { forcedDown: false });
}
