// Waiting on a server's status: done only when Nova has settled (no task running), failed on an error
// state, and a server that vanished is reported as such rather than as a timeout.
import { ResourceGoneError } from "./errors";
import type { NovaClient } from "./nova";
import { describeServer, taskState, type Server } from "./novaTypes";
import { waitFor } from "./wait";

export interface ServerWaitOptions {
    /** The wanted status, e.g. "ACTIVE" or "SHUTOFF". */
    status: string;
    /** Statuses that end the wait with an error; default ["ERROR"]. */
    failStates?: string[];
    timeoutMs: number;
    intervalMs?: number;
    maxIntervalMs?: number;
    signal?: AbortSignal;
}

/**
 * Waits until the server has `status` and no task_state: a server reports ACTIVE again while Nova is still
 * tidying up (e.g. task_state `migrating` after a rollback), and acting on it then gets a 409.
 */
export async function waitForServerStatus(nova: NovaClient, id: string, o: ServerWaitOptions): Promise<Server> {
    const failStates = o.failStates ?? ["ERROR"];
    const what = `server ${id} to become ${o.status}`;
    return waitFor(
        what,
        async () => {
            const s = await nova.getServer(id);
            if (!s) throw new ResourceGoneError("server", id, `waiting for it to become ${o.status}`);
            return s;
        },
        (s) => s.status === o.status && !taskState(s),
        {
            timeoutMs: o.timeoutMs,
            intervalMs: o.intervalMs,
            maxIntervalMs: o.maxIntervalMs,
            signal: o.signal,
            describe: describeServer,
            fail: (s) =>
                failStates.includes(s.status) && s.status !== o.status
                    ? `it is ${describeServer(s)}${s.fault?.message ? `: ${s.fault.message}` : ""}`
                    : undefined,
        },
    );
}

/** Waits until GET returns 404 (deletion finished); a server stuck in ERROR is reported with its fault. */
export async function waitForServerGone(nova: NovaClient, id: string, o: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    await waitFor(`server ${id} to be deleted`, () => nova.getServer(id), (s) => s === undefined, {
        timeoutMs: o.timeoutMs,
        intervalMs: 500,
        maxIntervalMs: 3000,
        signal: o.signal,
        describe: (s) => (s ? describeServer(s) : "gone"),
    });
}
