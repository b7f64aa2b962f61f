// Runs tasks with at most `concurrency` at once; every task runs, failures are collected, not thrown.
export interface PoolProgress {
    total: number;
    done: number;
    failed: number;
    running: number;
    queued: number;
}

export async function runPool<T, R>(
    items: T[],
    concurrency: number,
    task: (item: T) => Promise<R>,
    onProgress?: (p: PoolProgress) => void,
): Promise<{ item: T; result?: R; error?: Error }[]> {
    const results: { item: T; result?: R; error?: Error }[] = new Array(items.length);
    let next = 0;
    let done = 0;
    let failed = 0;
    let running = 0;
    const report = () => onProgress?.({ total: items.length, done, failed, running, queued: items.length - next });
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            const item = items[i]!;
            running++;
            report();
            try {
                results[i] = { item, result: await task(item) };
                done++;
            } catch (err) {
                results[i] = { item, error: err instanceof Error ? err : new Error(String(err)) };
                failed++;
            }
            running--;
            report();
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
    return results;
}

/** `7/20 moved, 2 running, 11 queued` (and how many failed, if any). */
export function describeProgress(p: PoolProgress, verb: string): string {
    return `${p.done}/${p.total} ${verb}, ${p.running} running, ${p.queued} queued${p.failed ? `, ${p.failed} failed` : ""}`;
}
