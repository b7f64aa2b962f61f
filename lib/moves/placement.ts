// A server's declared placement, and how to reach it: pure rules, then the moves against Nova.
import { computeService, unavailable } from "./service";
import { liveMigrateAndWait } from "../openstack/liveMigrate";
import type { MoveResult } from "../openstack/migrationWait";
import type { NovaClient } from "../openstack/nova";
import { serverHost, taskState, type Server } from "../openstack/novaTypes";
import { waitFor } from "../openstack/wait";

export interface Placement {
    /** Exactly this host. */
    host?: string;
    /** Any host but these. */
    notOn?: string[];
}

export interface MoveSettings {
    blockMigration: boolean | "auto";
    timeoutSeconds: number;
    onTimeout: "abort" | "force-complete";
}

/** Whether a server on `host` is where `p` wants it. */
export function satisfies(p: Placement, host: string): boolean {
    if (p.host !== undefined) return host === p.host;
    return !(p.notOn ?? []).includes(host);
}

export function describePlacement(p: Placement): string {
    if (p.host !== undefined) return p.host;
    if (p.notOn?.length) return `any host but ${p.notOn.join(", ")}`;
    return "any host";
}

/** Waits (bounded) until no task runs on the server: a move left running by an interrupted run finishes first. */
export async function settled(nova: NovaClient, serverId: string, timeoutMs: number): Promise<Server> {
    return waitFor(
        `server ${serverId} to finish its current task`,
        async () => {
            const s = await nova.getServer(serverId);
            if (!s) throw new Error(`server ${serverId} no longer exists`);
            return s;
        },
        (s) => !taskState(s),
        { timeoutMs, fail: (s) => (s.status === "ERROR" ? `it is in ERROR: ${s.fault?.message ?? "no fault recorded"}` : undefined) },
    );
}

const SCHEDULER_ATTEMPTS = 3;

/**
 * Why the server must not be moved to its placement's host now (the host failed, is fenced or disabled),
 * naming where it runs and what to change; undefined when the move may go ahead (or none is needed).
 */
export async function blockedMove(nova: NovaClient, p: Placement, serverName: string, current: string): Promise<string | undefined> {
    if (p.host === undefined || satisfies(p, current)) return undefined;
    const svc = await computeService(nova, p.host).catch(() => undefined);
    const why = svc && unavailable(svc);
    if (!why) return undefined;
    return (
        `${serverName} stays on ${current}: ${p.host} cannot take it, ${why}. Place it where it runs (host: ${current}) ` +
        `or elsewhere (notOn: [${p.host}]); or, once ${p.host} is repaired, declare it back in service ` +
        `(maintenance: [{ host: ${p.host}, maintenance: false }]) and run pulumi up again`
    );
}

/**
 * Moves the server (live) until it satisfies `p`; returns the moves made (none if it already did).
 * With "any host but …", the scheduler picks; if it picks another excluded host, we ask again (bounded).
 */
export async function ensurePlacement(nova: NovaClient, serverId: string, p: Placement, s: MoveSettings, serverName = serverId): Promise<{ host: string; moves: MoveResult[] }> {
    const moves: MoveResult[] = [];
    const timeoutMs = s.timeoutSeconds * 1000;
    for (let attempt = 0; attempt < SCHEDULER_ATTEMPTS; attempt++) {
        const server = await settled(nova, serverId, timeoutMs);
        const host = serverHost(server) ?? "";
        if (satisfies(p, host)) return { host, moves };
        const blocked = await blockedMove(nova, p, serverName, host);
        if (blocked) throw new Error(blocked);
        moves.push(
            await liveMigrateAndWait(nova, serverId, {
                host: p.host ?? null,
                blockMigration: s.blockMigration,
                timeoutMs,
                onTimeout: s.onTimeout,
            }),
        );
    }
    const now = serverHost((await nova.getServer(serverId))!) ?? "an unknown host";
    throw new Error(
        `server ${serverId} is on ${now} after ${SCHEDULER_ATTEMPTS} moves, but should be on ${describePlacement(p)}: ` +
            `the scheduler keeps choosing excluded hosts; name a host in its placement instead`,
    );
}
