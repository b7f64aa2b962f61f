// Polling until something holds, the way openstacksdk's wait_for_status does it, with p-retry's manners:
// a deadline, early failure, exponential backoff with jitter and a cap, and an AbortSignal.
import { OpenStackConnectionError, WaitFailedError, WaitTimeoutError } from "./errors";
import { backoffDelay, sleep } from "./sleep";

export interface WaitOptions<T> {
    /** Give up after this long (WaitTimeoutError, carrying the last value seen). */
    timeoutMs: number;
    /** A reason to stop now (the state can no longer become the wanted one), or undefined to go on. */
    fail?: (v: T) => string | undefined;
    /** First delay between probes; default 1 s. */
    intervalMs?: number;
    /** Delays grow ×1.5 up to this; default 10 s. */
    maxIntervalMs?: number;
    signal?: AbortSignal;
    /** How a value reads in the timeout message; default a clipped JSON rendering. */
    describe?: (v: T) => string;
}

/** Grows gently (×1.5, not ×2): most waits here end within seconds, and a long first gap adds latency. */
const FACTOR = 1.5;

function defaultDescribe(v: unknown): string {
    let s: string;
    try {
        s = typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
    } catch {
        s = String(v);
    }
    return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/**
 * Calls `probe` until `done` holds and returns that value. Errors from `probe` propagate (a probe decides
 * for itself what is fatal, e.g. ResourceGoneError), except that the API being unreachable does not end
 * the wait before its deadline: what is waited for (a move, a boot) goes on while nova-api restarts, and
 * giving up then would leave it in flight and unknown. The last probe runs at the deadline, so a state
 * reached just in time is not reported as a timeout. A probe in flight is not interrupted: the wait can
 * overrun by one probe, which the session's per-request timeout bounds.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, opts: WaitOptions<T>): Promise<T> {
    const start = Date.now();
    const deadline = start + opts.timeoutMs;
    const base = opts.intervalMs ?? 1000;
    const cap = Math.max(base, opts.maxIntervalMs ?? 10_000);
    const describe = opts.describe ?? defaultDescribe;
    for (let attempt = 0; ; attempt++) {
        if (opts.signal?.aborted) throw opts.signal.reason ?? new Error(`aborted waiting for ${what}`);
        let value: T;
        try {
            value = await probe();
        } catch (err) {
            if (!(err instanceof OpenStackConnectionError) || Date.now() >= deadline) throw err;
            await sleep(Math.min(deadline - Date.now(), backoffDelay(attempt, base, cap, FACTOR)), opts.signal);
            continue;
        }
        if (done(value)) return value;
        const reason = opts.fail?.(value);
        if (reason !== undefined) throw new WaitFailedError(what, reason);
        const left = deadline - Date.now();
        if (left <= 0) throw new WaitTimeoutError(what, opts.timeoutMs, describe(value));
        await sleep(Math.min(left, backoffDelay(attempt, base, cap, FACTOR)), opts.signal);
    }
}
