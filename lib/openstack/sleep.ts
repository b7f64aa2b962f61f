// Delays shared by HTTP retries and status polling.

/** Resolves after `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(abortReason(signal));
        // Declared before the closures that use it: Pulumi's closure serializer cannot follow a
        // reference to a `const` declared after the function that captures it.
        let timer: ReturnType<typeof setTimeout> | undefined = undefined;
        const onAbort = () => {
            clearTimeout(timer);
            reject(abortReason(signal!));
        };
        timer = setTimeout(() => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
        }, Math.max(0, ms));
        signal?.addEventListener("abort", onAbort, { once: true });
    });
}

function abortReason(signal: AbortSignal): unknown {
    return signal.reason ?? new Error("aborted");
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so many clients polling
 * the same API spread out instead of arriving in lockstep, while none waits much less than planned.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, factor = 2, random = Math.random): number {
    const exp = Math.min(capMs, baseMs * Math.pow(factor, Math.max(0, attempt)));
    return Math.round(exp / 2 + random() * (exp / 2));
}
