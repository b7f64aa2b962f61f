// Processes the fault tests start and kill: a real `pulumi up` run by the CLI, and its whole tree.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { repoRoot, toolchainBin } from "./env";

/** `pulumi up` of the project's stack `stack` as its own process (so that a test can kill it mid-run). */
export function spawnPulumiUp(stack: string, env: Record<string, string>, cwd = repoRoot): ChildProcess {
    return spawn(path.join(toolchainBin(), "pulumi"), ["up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack], {
        cwd,
        env: { ...process.env, ...env },
        detached: true,
        stdio: "ignore",
    });
}

/** Every process below `pid`, from /proc. */
export function descendants(pid: number): number[] {
    const children = new Map<number, number[]>();
    for (const d of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
        try {
            const ppid = Number(readFileSync(`/proc/${d}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1]);
            children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
        } catch {
            // the process ended meanwhile
        }
    }
    const out: number[] = [];
    const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (out.push(c), walk(c)));
    walk(pid);
    return out;
}

/** SIGKILL to `pid` and everything below it, as a crash of the machine running pulumi would end them. */
export function killTree(pid: number): void {
    for (const p of [pid, ...descendants(pid)]) {
        try {
            process.kill(p, "SIGKILL");
        } catch {
            // already gone
        }
    }
}
