// Runs tasks with at most `concurrency` at once; every task runs, failures are collected, not thrown.
export async function runPool<T, R>(
    items: T[],
    concurrency: number,
    task: (item: T) => Promise<R>,
): Promise<{ item: T; result?: R; error?: Error }[]> {
    const results: { item: T; result?: R; error?: Error }[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            const item = items[i]!;
            try {
                results[i] = { item, result: await task(item) };
            } catch (err) {
                results[i] = { item, error: err instanceof Error ? err : new Error(String(err)) };
            }
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
    return results;
}
