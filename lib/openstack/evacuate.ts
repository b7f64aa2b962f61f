// Evacuation (rebuild elsewhere after a host failure) from request to Nova's confirmation: the record is
// `done` (rebuilt on the destination; `completed` once the failed host came back and cleaned up) and the
// server is ACTIVE or SHUTOFF, idle, on another host.
import { failure, FAILED_STATUSES, hostOf, knownMigrationIds, mustGetServer, newMigration, rejected, settledServer, type MoveResult } from "./migrationWait";
import type { NovaClient } from "./nova";
import { describeServer, serverHost, taskState, type Migration, type Server } from "./novaTypes";
import { waitFor } from "./wait";

export interface EvacuateAndWaitOptions {
    /** Target host; absent lets the scheduler choose. */
    host?: string;
    /** Bypass the scheduler's checks of `host` (2.29–2.67; implied before 2.29). Default false. */
    force?: boolean;
    timeoutMs: number;
    signal?: AbortSignal;
    intervalMs?: number;
    maxIntervalMs?: number;
}

const DONE = ["done", "completed"];
/** Evacuation keeps the power state (until 2.95, which we do not request): ACTIVE stays ACTIVE, SHUTOFF stays SHUTOFF. */
const SETTLED = ["ACTIVE", "SHUTOFF"];

/** Rebuilt elsewhere and idle: the record done, the server settled on another host than `source`. */
export function evacuationSucceeded(migration: Migration | undefined, server: Server, source: string): boolean {
    return migration !== undefined && DONE.includes(migration.status) && serverHost(server) !== source && SETTLED.includes(server.status) && !taskState(server);
}

/** Nothing more will happen: the record failed, or the rebuild left the server in ERROR. */
export function evacuationFailed(migration: Migration | undefined, server: Server): boolean {
    return (migration !== undefined && FAILED_STATUSES.includes(migration.status)) || server.status === "ERROR";
}

interface Observation {
    migration?: Migration;
    server: Server;
}

export async function evacuateAndWait(nova: NovaClient, serverId: string, o: EvacuateAndWaitOptions): Promise<MoveResult> {
    const server = await mustGetServer(nova, serverId, "starting an evacuation");
    const source = hostOf(server);
    const kind = "evacuation" as const;
    const before = await knownMigrationIds(nova, serverId, kind);
    const start = Date.now();
    try {
        await nova.evacuate(serverId, { host: o.host, force: o.force });
    } catch (err) {
        return rejected(nova, err, { kind, serverId, source, destination: o.host, before });
    }

    // Both every time: an evacuation is a rebuild, and its failure shows on the server (ERROR + fault)
    // at least as often as on the record.
    const observe = async (): Promise<Observation> => {
        const [list, s] = await Promise.all([nova.listMigrations({ instanceUuid: serverId, migrationType: kind }), mustGetServer(nova, serverId, "evacuating")]);
        return { migration: newMigration(list, before), server: s };
    };
    const succeeded = (x: Observation) => evacuationSucceeded(x.migration, x.server, source);
    const failed = (x: Observation) => evacuationFailed(x.migration, x.server);

    const x = await waitFor(`evacuation of server ${serverId} off ${source} to ${o.host ?? "a scheduler-chosen host"}`, observe, (v) => succeeded(v) || failed(v), {
        timeoutMs: o.timeoutMs,
        intervalMs: o.intervalMs ?? 250,
        maxIntervalMs: o.maxIntervalMs ?? 4000,
        signal: o.signal,
        describe: (v) => `${v.migration ? `migration ${v.migration.id} ${v.migration.status}` : "no migration record yet"}, server ${describeServer(v.server)}`,
    });
    if (succeeded(x)) return { migrationId: x.migration!.id, source, destination: serverHost(x.server)!, durationMs: Date.now() - start };
    throw failure(
        {
            kind,
            serverId,
            migrationId: x.migration?.id ?? 0,
            status: x.migration?.status ?? "unknown",
            source,
            destination: x.migration?.dest_compute ?? o.host,
        },
        (await settledServer(nova, serverId, 30_000)) ?? x.server,
    );
}

/**
 * Waits until no evacuation off `host` is still `done`. The returned host's nova-compute marks each one
 * `completed` once it has removed the evacuated guest; until then Nova refuses to unforce the host (400,
 * the check its services API makes). Throws WaitTimeoutError naming the records still `done`.
 */
export async function waitEvacuationsCleanedUp(nova: NovaClient, host: string, timeoutMs: number): Promise<void> {
    await waitFor(
        `${host}'s nova-compute to clean up its evacuated servers`,
        () => nova.listMigrations({ sourceCompute: host, migrationType: "evacuation", status: "done" }),
        (left) => left.length === 0,
        {
            timeoutMs,
            intervalMs: 1000,
            maxIntervalMs: 3000,
            describe: (left) => `evacuation records still done: ${left.map((m) => `${m.id} (server ${m.instance_uuid})`).join(", ")}`,
        },
    );
}
