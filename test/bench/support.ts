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

export const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

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

export interface PeakRss {
    /** The pulumi CLI (and engine). */
    cli: number;
    /** The program (node running @pulumi/pulumi's cmd/run). */
    program: number;
    /** The largest dynamic-provider process. */
    providers: number;
}

/** Peak resident memory (VmHWM, bytes) of each kind of process seen while `fn` runs, sampled from /proc. */
export async function peakRss<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T; rss: PeakRss }> {
    const { readdirSync, readFileSync } = await import("node:fs");
    const rss: PeakRss = { cli: 0, program: 0, providers: 0 };
    const sample = () => {
        for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
            try {
                const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
                const kind: keyof PeakRss | undefined = /(^|\/)pulumi$/.test(cmd[0] ?? "")
                    ? "cli"
                    : cmd.some((a) => a.includes("@pulumi/pulumi/cmd/run"))
                      ? "program"
                      : cmd.some((a) => a.includes("cmd/dynamic-provider"))
                        ? "providers"
                        : undefined;
                if (!kind) continue;
                const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
                if (hwm) rss[kind] = Math.max(rss[kind], Number(hwm[1]) * 1024);
            } catch {
                // the process ended meanwhile
            }
        }
    };
    const timer = setInterval(sample, 200);
    try {
        const { ms, result } = await timed(fn);
        return { ms, result, rss };
    } finally {
        clearInterval(timer);
    }
}
