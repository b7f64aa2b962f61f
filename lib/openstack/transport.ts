// One HTTP exchange with OpenStack, retried where that is safe: 429 and 503 (honouring Retry-After, with a
// cap) and connection failures. Authentication and status checks are the session's business, not this.
import { formatDuration, OpenStackConnectionError } from "./errors";
import { backoffDelay, sleep } from "./sleep";

export interface RetryPolicy {
    /** Retries after the first attempt; default 5. */
    maxRetries: number;
    /** First backoff when the server gives no Retry-After; default 500 ms, doubling. */
    baseDelayMs: number;
    /** No single wait is longer, whatever Retry-After asks for; default 30 s. */
    maxDelayMs: number;
    /** Each attempt gets this long for a response; default 60 s. */
    requestTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 30_000, requestTimeoutMs: 60_000 };

export interface RawResponse {
    status: number;
    headers: Headers;
    text: string;
}

export interface SendOptions {
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: string;
    signal?: AbortSignal;
    /** Called once per request put on the wire (the session counts them). */
    onAttempt?: () => void;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

/**
 * Retry-After is either seconds or an HTTP date (RFC 9110 §10.2.3). Returns milliseconds, or undefined
 * when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
    if (value === null || value.trim() === "") return undefined;
    const v = value.trim();
    if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
    const at = Date.parse(v);
    return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Whether a status deserves another attempt. 429 means the request was refused before being acted on,
 * so any method may repeat it. 503 is repeated for idempotent methods; a POST only when the server asks
 * for it with Retry-After, because a 503 from behind a proxy may come after the service acted.
 */
export function shouldRetryStatus(status: number, method: string, headers: Headers): boolean {
    if (status === 429) return true;
    if (status === 503) return IDEMPOTENT.has(method) || headers.get("retry-after") !== null;
    return false;
}

/** The delay before retry number `attempt` (0-based): Retry-After when given, else backoff; both capped. */
export function retryDelayMs(attempt: number, headers: Headers | undefined, policy: RetryPolicy): number {
    const asked = headers ? parseRetryAfter(headers.get("retry-after")) : undefined;
    if (asked !== undefined) return Math.min(asked, policy.maxDelayMs);
    return backoffDelay(attempt, policy.baseDelayMs, policy.maxDelayMs);
}

interface FetchFailure {
    reason: string;
    /** True when the request cannot have reached the service, so even a POST may be repeated. */
    neverSent: boolean;
    timedOut: boolean;
}

function describeFetchFailure(err: unknown, timeoutMs: number): FetchFailure {
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e?.name === "TimeoutError") return { reason: `no response within ${formatDuration(timeoutMs)}`, neverSent: false, timedOut: true };
    const code = e?.cause?.code;
    const reason = [code, e?.cause?.message ?? e?.message].filter(Boolean).join(": ") || String(err);
    return { reason, neverSent: code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN", timedOut: false };
}

/** Sends the request, retrying per `policy`; returns the final response whatever its status. */
export async function send(opts: SendOptions, policy: RetryPolicy = DEFAULT_RETRY): Promise<RawResponse> {
    for (let attempt = 0; ; attempt++) {
        const timeout = AbortSignal.timeout(policy.requestTimeoutMs);
        const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
        opts.onAttempt?.();
        let res: Response;
        try {
            res = await fetch(opts.url, { method: opts.method, headers: opts.headers, body: opts.body, signal, redirect: "follow" });
        } catch (err) {
            if (opts.signal?.aborted) throw opts.signal.reason ?? err;
            const f = describeFetchFailure(err, policy.requestTimeoutMs);
            const retryable = IDEMPOTENT.has(opts.method) || f.neverSent;
            if (!retryable || attempt >= policy.maxRetries) {
                throw new OpenStackConnectionError(opts.method, opts.url, f.reason + (attempt > 0 ? ` (after ${attempt + 1} attempts)` : ""));
            }
            await sleep(retryDelayMs(attempt, undefined, policy), opts.signal);
            continue;
        }
        // Reading the body inside the same timeout: a service that sends headers and stalls is no better.
        let text: string;
        try {
            text = await res.text();
        } catch (err) {
            if (opts.signal?.aborted) throw opts.signal.reason ?? err;
            throw new OpenStackConnectionError(opts.method, opts.url, describeFetchFailure(err, policy.requestTimeoutMs).reason);
        }
        if (shouldRetryStatus(res.status, opts.method, res.headers) && attempt < policy.maxRetries) {
            await sleep(retryDelayMs(attempt, res.headers, policy), opts.signal);
            continue;
        }
        return { status: res.status, headers: res.headers, text };
    }
}
