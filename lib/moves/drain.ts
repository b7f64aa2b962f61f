// Host maintenance: disable the compute service with a reason, then live-migrate every server off the
// host, a few at a time. Safe to run again after an interruption: servers already gone are not touched,
// and a move still running from the last run is waited for, never started twice.
import { waitEvacuationsCleanedUp } from "../openstack/evacuate";
import { liveMigrateAndWait } from "../openstack/liveMigrate";
import type { NovaClient } from "../openstack/nova";
import { serverHost } from "../openstack/novaTypes";
import { settled, type MoveSettings } from "./placement";
import { describeProgress, runPool } from "./pool";
import type { ServerMove } from "./serverMove";
import { computeService, describeService, MASAKARI_DISABLED } from "./service";

export type DrainMove = ServerMove;

export interface DrainResult {
    moves: DrainMove[];
    /** Servers that could not be moved, with why. */
    failures: { serverId: string; serverName: string; error: string }[];
}

export async function disableForMaintenance(nova: NovaClient, host: string, reason: string): Promise<void> {
    const svc = await computeService(nova, host);
    if (svc.status !== "disabled" || svc.disabled_reason !== reason) {
        await nova.updateComputeService(String(svc.id), { status: "disabled", disabledReason: reason });
    }
}

/** Enables the service again, unless someone else disabled it for another reason meanwhile. */
export async function endMaintenance(nova: NovaClient, host: string, reason: string): Promise<void> {
    const svc = await computeService(nova, host);
    // Back in service after a failure too: fenced (forced down) and disabled by the recovery. Nova refuses
    // the unforce until the returned host's nova-compute has cleaned up its evacuated servers (seconds
    // after it starts, more on a loaded machine): wait for that, bounded, then unforce once.
    if (svc.forced_down) {
        await waitEvacuationsCleanedUp(nova, host, CLEANUP_WAIT_MS).catch((err: Error) => {
            throw new Error(`${host} stays forced down: ${err.message}. Power it on and let its nova-compute clean up the evacuated servers, then run pulumi up again`);
        });
        await nova.updateComputeService(String(svc.id), { forcedDown: false });
    }
    if (svc.status === "disabled" && (svc.disabled_reason === reason || svc.disabled_reason === null || MASAKARI_DISABLED.test(svc.disabled_reason ?? ""))) {
        await nova.updateComputeService(String(svc.id), { status: "enabled" });
    } else if (svc.status === "disabled") {
        throw new Error(`not enabling ${host}: ${describeService(svc)}, which is not our maintenance; enable it by hand if that is intended`);
    }
}

/** How long a returned host's nova-compute may take to clean up its evacuated servers. */
const CLEANUP_WAIT_MS = 120_000;

export async function drainHost(
    nova: NovaClient,
    host: string,
    concurrency: number,
    s: MoveSettings,
    progress: (message: string) => void = () => undefined,
): Promise<DrainResult> {
    const servers = await nova.listServers({ host, allTenants: true });
    const results = await runPool(servers, concurrency, async (server) => {
        // A move left running by an interrupted run: let it finish, then look again.
        const now = await settled(nova, server.id, s.timeoutSeconds * 1000);
        if (serverHost(now) !== host) return undefined;
        const move = await liveMigrateAndWait(nova, server.id, {
            host: null,
            blockMigration: s.blockMigration,
            timeoutMs: s.timeoutSeconds * 1000,
            onTimeout: s.onTimeout,
        });
        return { serverId: server.id, serverName: server.name, ...move };
    }, (p) => progress(`draining ${host}: ${describeProgress(p, "moved")}`));
    return {
        moves: results.filter((r) => r.result).map((r) => {
            const { forceCompleted: _f, ...m } = r.result as DrainMove & { forceCompleted?: boolean };
            return m;
        }),
        failures: results.filter((r) => r.error).map((r) => ({ serverId: r.item.id, serverName: r.item.name, error: r.error!.message })),
    };
}
