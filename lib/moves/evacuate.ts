// Recovery of servers from a failed host. Never while the host may still run them: the compute service
// must be down, or the host declared fenced (powered off by the operator), in which case it is forced down.
import { evacuateAndWait } from "../openstack/evacuate";
import type { NovaClient } from "../openstack/nova";
import { waitForServerStatus } from "../openstack/serverWait";
import { waitForMigration } from "../openstack/migrationWait";
import { runPool } from "./pool";
import type { ServerMove } from "./serverMove";
import { computeService, describeService } from "./service";

export interface EvacuationPlan {
    host: string;
    /** The operator says the host is powered off / isolated: force its service down. */
    fenced: boolean;
    /** Server ids to recover; default every server on the host. */
    serverIds?: string[];
    /** Where to; default the scheduler's choice. */
    target?: string;
    /** Hard-reboot each server once it is rebuilt (SHUTOFF ones come back ACTIVE). */
    reboot: boolean;
    concurrency: number;
    timeoutSeconds: number;
}

export type Evacuated = ServerMove;

/** Throws, naming the reason, unless it is safe to evacuate `host`; forces it down when fenced. */
export async function assertEvacuable(nova: NovaClient, host: string, fenced: boolean): Promise<{ forcedDown: boolean }> {
    const svc = await computeService(nova, host);
    if (fenced) {
        if (!svc.forced_down) await nova.updateComputeService(String(svc.id), { forcedDown: true });
        return { forcedDown: true };
    }
    if (svc.state === "up" && !svc.forced_down) {
        throw new Error(
            `refusing to evacuate ${host}: ${describeService(svc)}, so the host may still be running its servers ` +
                `(evacuating them would run two copies on the same disks). Power the host off and set fenced: true, ` +
                `or wait until Nova reports its service down`,
        );
    }
    return { forcedDown: !!svc.forced_down };
}

export async function evacuateHost(nova: NovaClient, plan: EvacuationPlan): Promise<{ evacuated: Evacuated[]; failures: { serverId: string; error: string }[] }> {
    await assertEvacuable(nova, plan.host, plan.fenced);
    const onHost = await nova.listServers({ host: plan.host, allTenants: true });
    const servers = plan.serverIds ? onHost.filter((s) => plan.serverIds!.includes(s.id)) : onHost;
    const timeoutMs = plan.timeoutSeconds * 1000;
    const results = await runPool(servers, plan.concurrency, async (server) => {
        const move = await evacuateAndWait(nova, server.id, { host: plan.target, timeoutMs });
        if (plan.reboot) {
            await nova.rebootServer(server.id, "HARD");
            await waitForServerStatus(nova, server.id, { status: "ACTIVE", failStates: ["ERROR"], timeoutMs });
        }
        return { serverId: server.id, serverName: server.name, migrationId: move.migrationId, source: move.source, destination: move.destination, durationMs: move.durationMs };
    });
    return {
        evacuated: results.filter((r) => r.result).map((r) => r.result!),
        failures: results.filter((r) => r.error).map((r) => ({ serverId: r.item.id, error: r.error!.message })),
    };
}

/**
 * After the failed host came back: its nova-compute marks each evacuation `completed` once it removed the
 * stale guests. Only then is the service unforced (Nova refuses earlier, and it would be unsafe).
 */
export async function recoverHost(
    nova: NovaClient,
    host: string,
    evacuated: { serverId: string; migrationId: number }[],
    timeoutSeconds: number,
): Promise<void> {
    const svc = await computeService(nova, host);
    if (!svc.forced_down) return;
    for (const { serverId, migrationId: id } of evacuated) {
        await waitForMigration(nova, { instanceUuid: serverId, migrationId: id, statuses: ["completed"], timeoutMs: timeoutSeconds * 1000 }).catch((err: Error) => {
            throw new Error(
                `${host} is still forced down: evacuation ${id} is not completed yet (${err.message}). ` +
                    `Start nova-compute on ${host} so that it cleans up the evacuated servers, then run pulumi up again`,
            );
        });
    }
    await nova.updateComputeService(String(svc.id), { forcedDown: false });
}
