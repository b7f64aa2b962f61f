// A live migration from request to Nova's confirmation. Nova's 202 only means "accepted": the move is
// done when the migration record says `completed` AND the server's host changed. A rollback also ends
// with the server ACTIVE (on the source), so the status alone proves nothing.
import { WaitTimeoutError } from "./errors";
import {
    FAILED_STATUSES,
    failure,
    hostOf,
    knownMigrationIds,
    mustGetServer,
    newMigration,
    rejected,
    settledServer,
    type MoveResult,
} from "./migrationWait";
import type { NovaClient } from "./nova";
import { describeServer, serverHost, taskState, type Migration, type Server } from "./novaTypes";
import { waitFor } from "./wait";

export interface LiveMigrateAndWaitOptions {
    /** Target host; null or absent lets the scheduler choose. */
    host?: string | null;
    /** Default "auto" (Nova decides from the storage; false on clouds older than 2.25). */
    blockMigration?: boolean | "auto";
    /** Bypass the scheduler's checks of `host` (see NovaClient.liveMigrate). Default false. */
    force?: boolean;
    /** From the request until the move must be confirmed. */
    timeoutMs: number;
    /** What to do with a migration still running at the timeout; the outcome is reported either way. */
    onTimeout: "abort" | "force-complete" | "none";
    /** How long to watch the migration after aborting/force-completing it; default 60 s. */
    settleTimeoutMs?: number;
    signal?: AbortSignal;
    /**
     * First poll delay; default 250 ms (Nova changes state within a second here), growing ×1.5 to
     * maxIntervalMs (default 2 s: one request per 1–2 s per move, and the end is seen within ~1 s of it).
     */
    intervalMs?: number;
    maxIntervalMs?: number;
}

interface Observation {
    migration?: Migration;
    /** Fetched only when the record is terminal or missing: each poll should cost one request, not two. */
    server?: Server;
}

export async function liveMigrateAndWait(nova: NovaClient, serverId: string, o: LiveMigrateAndWaitOptions): Promise<MoveResult> {
    const server = await mustGetServer(nova, serverId, "starting a live migration");
    const source = hostOf(server);
    const wanted = o.host || undefined;
    if (wanted === source) return { migrationId: 0, source, destination: source, durationMs: 0 };

    const kind = "live-migration" as const;
    const before = await knownMigrationIds(nova, serverId, kind);
    const start = Date.now();
    try {
        await nova.liveMigrate(serverId, { host: wanted ?? null, blockMigration: o.blockMigration, force: o.force });
    } catch (err) {
        return rejected(nova, err, { kind, serverId, source, destination: wanted, before });
    }

    const observe = async (): Promise<Observation> => {
        const migration = newMigration(await nova.listMigrations({ instanceUuid: serverId, migrationType: kind }), before);
        const terminal = !migration || migration.status === "completed" || FAILED_STATUSES.includes(migration.status);
        return { migration, server: terminal ? await mustGetServer(nova, serverId, "live-migrating") : undefined };
    };
    const succeeded = (x: Observation) => x.migration?.status === "completed" && x.server !== undefined && serverHost(x.server) !== source;
    // No record while the server is idle: the request died before the conductor recorded it (the API sets
    // task_state before answering, so idle-without-record cannot be "not started yet").
    const ended = (x: Observation) =>
        succeeded(x) ||
        (x.migration !== undefined && FAILED_STATUSES.includes(x.migration.status)) ||
        (x.server !== undefined && !taskState(x.server) && (x.migration === undefined || x.migration.status === "completed"));
    const result = (x: Observation, forceCompleted?: boolean): MoveResult => ({
        migrationId: x.migration!.id,
        source,
        destination: serverHost(x.server!)!,
        durationMs: Date.now() - start,
        ...(forceCompleted ? { forceCompleted } : {}),
    });
    const fail = async (x: Observation) => {
        throw failure(
            {
                kind,
                serverId,
                migrationId: x.migration?.id ?? 0,
                status: x.migration?.status ?? "unknown",
                source,
                destination: x.migration?.dest_compute ?? wanted,
            },
            await settledServer(nova, serverId, 30_000),
        );
    };
    const poll = { intervalMs: o.intervalMs ?? 250, maxIntervalMs: o.maxIntervalMs ?? 2000, signal: o.signal };
    const what = `live migration of server ${serverId} from ${source} to ${wanted ?? "a scheduler-chosen host"}`;
    const describe = (x: Observation) =>
        `${x.migration ? `migration ${x.migration.id} ${x.migration.status}` : "no migration record yet"}` +
        (x.server ? `, server ${describeServer(x.server)}` : "");

    let last: Observation = {};
    const tracked = async () => (last = await observe());
    let timedOut: WaitTimeoutError;
    try {
        const x = await waitFor(what, tracked, ended, { ...poll, timeoutMs: o.timeoutMs, describe });
        return succeeded(x) ? result(x) : fail(x);
    } catch (err) {
        if (!(err instanceof WaitTimeoutError)) throw err;
        timedOut = err;
    }

    // Timed out. Whatever we do next, the caller gets the outcome, not just "timed out".
    const report = (aftermath: string) => new WaitTimeoutError(timedOut.what, timedOut.timeoutMs, timedOut.lastState, aftermath);
    if (!last.migration) throw report("Nova never recorded a migration to act on");
    if (o.onTimeout === "none") throw report("The migration continues; Nova finishes or rolls it back on its own");
    const settle = { ...poll, timeoutMs: o.settleTimeoutMs ?? 60_000, describe };
    if (o.onTimeout === "force-complete" && last.migration.status !== "running") {
        // Nova force-completes only a `running` migration (409 otherwise); one still preparing gets there soon.
        const y = await waitFor(`migration ${last.migration.id} to be running`, tracked, (v) => v.migration?.status === "running" || ended(v), settle);
        if (ended(y)) return succeeded(y) ? result(y) : fail(y);
    }
    const mig = last.migration!;
    const verb = o.onTimeout === "abort" ? "Aborted" : "Force-completed";
    try {
        if (o.onTimeout === "abort") await nova.abortMigration(serverId, mig.id);
        else await nova.forceCompleteMigration(serverId, mig.id);
    } catch (actErr) {
        // Too late (it just finished or failed) or not in a state Nova accepts: say so, with the state.
        const x = await observe();
        if (succeeded(x)) return result(x);
        throw report(`Could not ${o.onTimeout} migration ${mig.id}: ${(actErr as Error).message}; now: ${describe(x)}`);
    }
    const x = await waitFor(`${what} (${verb.toLowerCase()} after the timeout)`, tracked, ended, settle);
    if (succeeded(x)) return result(x, o.onTimeout === "force-complete");
    const after = (await settledServer(nova, serverId, 30_000)) ?? x.server;
    throw report(`${verb} migration ${mig.id}: it ended ${x.migration?.status ?? "unrecorded"}, the server is ${after ? describeServer(after) : "gone"}`);
}
