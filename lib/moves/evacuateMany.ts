// Evacuating many servers off one failed host: requests go out up to `concurrency` at a time, and one
// shared poll watches all of them — two requests a round (the host's evacuation records, the servers
// changed since the start), whatever their number. One wait per server made two requests per server per
// round, and on a small control plane that load slowed down the very rebuilds it was waiting for.
import { WaitTimeoutError } from "../openstack/errors";
import { evacuationFailed, evacuationSucceeded } from "../openstack/evacuate";
import { failure, newMigration, rejected, settledServer, type MoveResult } from "../openstack/migrationWait";
import type { NovaClient } from "../openstack/nova";
import { describeServer, serverHost, type Migration, type Server } from "../openstack/novaTypes";
import { sleep } from "../openstack/sleep";
import type { PoolProgress } from "./pool";

export interface EvacuateManyOptions {
    /** Target host; absent lets the scheduler choose. */
    target?: string;
    concurrency: number;
    /** Per server, from its request. */
    timeoutMs: number;
    /** First delay between rounds (default 250 ms); it grows ×1.5 up to maxIntervalMs (default 2 s). */
    intervalMs?: number;
    maxIntervalMs?: number;
    onProgress?: (p: PoolProgress) => void;
}

export interface EvacuationOutcome {
    server: Server;
    result?: MoveResult;
    /** The server's status once rebuilt (evacuation keeps the power state: ACTIVE or SHUTOFF). */
    statusAfter?: string;
    error?: Error;
}

/** Records and servers are looked up from this long before the start: a control plane's clock may differ. */
const CLOCK_MARGIN_MS = 10 * 60_000;

/** Evacuates `servers` (all on `source`, which is fenced and forced down); every outcome is returned, none thrown. */
export async function evacuateMany(nova: NovaClient, source: string, servers: Server[], o: EvacuateManyOptions): Promise<EvacuationOutcome[]> {
    const kind = "evacuation" as const;
    const since = new Date(Date.now() - CLOCK_MARGIN_MS).toISOString();
    const records = () => nova.listMigrations({ host: source, migrationType: kind, changesSince: since });
    // The records our requests create are those not in this set (ids, not timestamps: no clock in it).
    const before = new Set((await records()).map((m) => m.id));
    const outcomes = new Map<string, EvacuationOutcome>();
    const queue = [...servers];
    const flying = new Map<string, { server: Server; start: number; last?: Server; record?: Migration }>();
    const base = o.intervalMs ?? 250;
    const cap = Math.max(base, o.maxIntervalMs ?? 2000);
    const concurrency = Math.max(1, o.concurrency);
    const report = () => {
        const failed = [...outcomes.values()].filter((x) => x.error).length;
        o.onProgress?.({ total: servers.length, done: outcomes.size - failed, failed, running: flying.size, queued: queue.length });
    };
    const settle = (id: string, outcome: Omit<EvacuationOutcome, "server">) => {
        const f = flying.get(id)!;
        flying.delete(id);
        outcomes.set(id, { server: f.server, ...outcome });
    };
    const launch = async (server: Server) => {
        const start = Date.now();
        try {
            await nova.evacuate(server.id, { host: o.target });
            flying.set(server.id, { server, start });
        } catch (err) {
            const error = await rejected(nova, err, { kind, serverId: server.id, source, destination: o.target, before }).catch((e: Error) => e);
            outcomes.set(server.id, { server, error });
        }
    };

    let delay = base;
    for (;;) {
        const room = concurrency - flying.size;
        if (room > 0 && queue.length > 0) {
            await Promise.all(queue.splice(0, room).map(launch));
            delay = base; // new requests: look again soon
        }
        report();
        if (flying.size === 0 && queue.length === 0) break;
        if (flying.size === 0) continue;
        await sleep(delay);
        delay = Math.min(cap, delay * 1.5);

        const [list, changed] = await Promise.all([records(), nova.listServers({ allTenants: true, changesSince: since })]);
        const byId = new Map(changed.map((s) => [s.id, s]));
        let finished = false;
        for (const [id, f] of [...flying]) {
            // A server the list missed (another clock, a deleted one) is read on its own.
            const server = byId.get(id) ?? (await nova.getServer(id));
            const record = newMigration(list.filter((m) => m.instance_uuid === id), before);
            f.last = server;
            f.record = record;
            if (!server || server.status === "DELETED") {
                settle(id, { error: new Error(`server ${id} was deleted while it was being evacuated off ${source}`) });
            } else if (evacuationSucceeded(record, server, source)) {
                settle(id, { result: { migrationId: record!.id, source, destination: serverHost(server)!, durationMs: Date.now() - f.start }, statusAfter: server.status });
            } else if (evacuationFailed(record, server)) {
                const error = failure(
                    { kind, serverId: id, migrationId: record?.id ?? 0, status: record?.status ?? "unknown", source, destination: record?.dest_compute ?? o.target },
                    (await settledServer(nova, id, 30_000)) ?? server,
                );
                settle(id, { error });
            } else if (Date.now() - f.start > o.timeoutMs) {
                const last = `${record ? `migration ${record.id} ${record.status}` : "no migration record yet"}, server ${describeServer(server)}`;
                settle(id, { error: new WaitTimeoutError(`evacuation of server ${id} off ${source} to ${o.target ?? "a scheduler-chosen host"}`, o.timeoutMs, last) });
            } else {
                continue;
            }
            finished = true;
        }
        if (finished) report();
    }
    return servers.map((s) => outcomes.get(s.id)!);
}
