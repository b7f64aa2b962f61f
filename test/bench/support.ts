// Shared by the benchmarks: timing, a report table, and running commands.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";

export const run = promisify(execFile);

export interface Row {
    bench: string;
    measure: string;
    value: string;
    note?: string;
}

export const rows: Row[] = [];

export function record(bench: string, measure: string, value: string, note?: string): void {
    rows.push({ bench, measure, value, note });
    console.log(`  ${bench} | ${measure}: ${value}${note ? `  (${note})` : ""}`);
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
    const start = performance.now();
    const result = await fn();
    return { ms: performance.now() - start, result };
}

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const ratio = (ours: number, peer: number) => `${(ours / peer).toFixed(2)}×`;

/** Runs a command, returns stdout+stderr; throws with the output when it fails. */
export async function sh(cmd: string, args: string[], env?: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
        const p = spawn(cmd, args, { env: { ...process.env, ...env } });
        let out = "";
        p.stdout.on("data", (d) => (out += d));
        p.stderr.on("data", (d) => (out += d));
        p.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${out.slice(-2000)}`))));
    });
}

export function table(): string {
    const head = "| bench | measure | value | note |\n| --- | --- | --- | --- |";
    return [head, ...rows.map((r) => `| ${r.bench} | ${r.measure} | ${r.value} | ${r.note ?? ""} |`)].join("\n");
}
