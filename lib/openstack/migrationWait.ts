// What live migration and evacuation share: finding the migration record our request created, reading
// where the server is, and letting a rolled-back server settle before saying where it ended up.
import { MigrationFailedError, OpenStackHttpError, ResourceGoneError, UnsupportedError, WaitTimeoutError, type MigrationFailure } from "./errors";
import type { NovaClient } from "./nova";
import { serverHost, taskState, type Migration, type Server } from "./novaTypes";
import { waitFor } from "./wait";

/** Record statuses after which nothing more happens to a migration that did not succeed. */
export const FAILED_STATUSES = ["error", "failed", "cancelled"];

export interface MoveResult {
    /** Nova's migration record id; 0 when nothing had to move. */
    migrationId: number;
    source: string;
    destination: string;
    /** From the request to Nova's confirmation. */
    durationMs: number;
    /** True when the migration only finished because we force-completed it after the timeout. */
    forceCompleted?: boolean;
}

export async function mustGetServer(nova: NovaClient, id: string, during: string): Promise<Server> {
    const s = await nova.getServer(id);
    if (!s) throw new ResourceGoneError("server", id, during);
    return s;
}

/** The server's compute host; without admin credentials Nova hides it, and nothing here can work. */
export function hostOf(s: Server): string {
    const h = serverHost(s);
    if (!h) {
        throw new UnsupportedError(
            `server ${s.id} shows no OS-EXT-SRV-ATTR:host: moving servers needs admin credentials (Nova hides the host from others)`,
        );
    }
    return h;
}

/**
 * The ids of the server's existing records of one type. The record our request creates is the one not in
 * this set: comparing ids, not created_at against our clock, keeps clock skew out of it.
 */
export async function knownMigrationIds(nova: NovaClient, instanceUuid: string, migrationType: string): Promise<Set<number>> {
    const list = await nova.listMigrations({ instanceUuid, migrationType });
    return new Set(list.map((m) => m.id));
}

/** The newest record not in `before` (ids grow with time). */
export function newMigration(list: Migration[], before: Set<number>): Migration | undefined {
    return list.filter((m) => !before.has(m.id)).sort((a, b) => b.id - a.id)[0];
}

/**
 * After a failed move Nova may still be rolling back (task_state set). Waits, bounded, until it is idle so
 * the error can say truthfully where the server is; on timeout reports what it saw last.
 */
export async function settledServer(nova: NovaClient, id: string, timeoutMs: number): Promise<Server | undefined> {
    let last: Server | undefined;
    try {
        return await waitFor(
            `server ${id} to settle`,
            async () => (last = await nova.getServer(id)),
            (s) => s === undefined || !taskState(s),
            { timeoutMs, intervalMs: 500, maxIntervalMs: 2000 },
        );
    } catch (err) {
        if (err instanceof WaitTimeoutError) return last;
        throw err;
    }
}

/** A MigrationFailedError filled in with where the server is now. */
export function failure(f: Omit<MigrationFailure, "serverHost" | "serverStatus">, server: Server | undefined, cause?: unknown): MigrationFailedError {
    return new MigrationFailedError(
        {
            ...f,
            serverHost: server ? serverHost(server) : undefined,
            serverStatus: server ? server.status : "deleted",
            reason: f.reason ?? server?.fault?.message,
        },
        cause === undefined ? undefined : { cause },
    );
}

/**
 * Why a named destination may be refused. Nova's scheduler only says "No valid host was found" when the
 * requested host is down or disabled; the service's state names the actual cause. Undefined when healthy.
 */
export async function destinationProblem(nova: NovaClient, host: string): Promise<string | undefined> {
    const services = await nova.listComputeServices({ host }).catch(() => undefined);
    if (!services) return undefined;
    const svc = services[0];
    if (!svc) return `${host} has no nova-compute service`;
    const issues: string[] = [];
    if (svc.state === "down") issues.push(svc.forced_down ? "down (forced down)" : "down");
    if (svc.status === "disabled") issues.push(`disabled${svc.disabled_reason ? ` (${svc.disabled_reason})` : ""}`);
    return issues.length > 0 ? `nova-compute on ${host} is ${issues.join(" and ")}` : undefined;
}

/**
 * Nova refused the move request (400/409: host down, wrong state …). With 2.30 the conductor's checks run
 * before the 202, so the refusal carries Nova's reason; the record it may have created is looked up.
 */
export async function rejected(
    nova: NovaClient,
    err: unknown,
    ctx: { kind: MigrationFailure["kind"]; serverId: string; source: string; destination?: string; before: Set<number> },
): Promise<never> {
    if (!(err instanceof OpenStackHttpError) || (err.status !== 400 && err.status !== 409)) throw err;
    const [server, list, problem] = await Promise.all([
        nova.getServer(ctx.serverId),
        nova.listMigrations({ instanceUuid: ctx.serverId, migrationType: ctx.kind }),
        ctx.destination ? destinationProblem(nova, ctx.destination) : undefined,
    ]);
    const rec = newMigration(list, ctx.before);
    const said = err.serviceMessage ?? err.message;
    throw failure(
        {
            kind: ctx.kind,
            serverId: ctx.serverId,
            migrationId: rec?.id ?? 0,
            status: "rejected",
            source: ctx.source,
            destination: ctx.destination,
            reason: problem ? `${said} (${problem})` : said,
        },
        server,
        err,
    );
}

export interface MigrationWaitOptions {
    instanceUuid: string;
    migrationId: number;
    /** Wanted statuses, e.g. ["completed"]. */
    statuses: string[];
    timeoutMs: number;
    signal?: AbortSignal;
}

/**
 * Waits for a migration record to reach one of `statuses`; fails early on error/failed/cancelled unless
 * wanted. Used e.g. before un-forcing a host: Nova refuses that until the evacuations off it are `completed`.
 */
export async function waitForMigration(nova: NovaClient, o: MigrationWaitOptions): Promise<Migration> {
    const found = await waitFor(
        `migration ${o.migrationId} of server ${o.instanceUuid} to become ${o.statuses.join(" or ")}`,
        async () => (await nova.listMigrations({ instanceUuid: o.instanceUuid })).find((m) => m.id === o.migrationId),
        (m) => m !== undefined && o.statuses.includes(m.status),
        {
            timeoutMs: o.timeoutMs,
            intervalMs: 1000,
            maxIntervalMs: 5000,
            signal: o.signal,
            describe: (m) => (m ? `status ${m.status}` : "no such record"),
            fail: (m) => (m && FAILED_STATUSES.includes(m.status) && !o.statuses.includes(m.status) ? `it ended with status ${m.status}` : undefined),
        },
    );
    return found!;
}
