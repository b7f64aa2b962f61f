// vitest globalSetup of the lab tests: records every process's command line (of this machine and of the
// lab's hosts, whose processes the root pid namespace sees) all through the suite, so that the audit
// afterwards (test/audit/secrets.test.ts) can show that no secret was ever passed on a command line.
//
// Every exec is reported by the kernel's process-events connector, read by forkstat (Debian's package),
// which then reads the new process's /proc/PID/cmdline: a command that has already ended by then leaves only
// its name. So forkstat runs at real-time priority (-r) and reads first: measured here with four busy loops
// and two recorders, 2000 of 2000 one-millisecond commands seen with their arguments, 1930 of 2000 without
// -r (the rest by name only). The cost is one read per exec. Reading every
// process's command line ten times a second, as this did before, missed such commands and took ~6% of
// the 2-core machine for two lanes. A sweep of /proc once a second stays as a backstop (a process that
// changed its command line after its exec, or events lost in a burst).
import { execFile, spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot } from "./env";

/** One file per lab project (the lanes run side by side, each with its own sampler): cmdlines-<project>.json. */
export const CMDLINES_DIR = path.join(repoRoot, ".pulumi-state", "audit");

/** The command line in one of forkstat's exec lines (`04:39:09 exec  26593   /bin/true --x`), else undefined. */
export function forkstatExec(line: string): string | undefined {
    return /^\S+\s+exec\s+\d+\s+(.*)$/.exec(line)?.[1]?.trim() || undefined;
}

/** What each lane's recorder runs once it is ready: 20 commands of a millisecond that the audit must all find. */
export const execProbes = (project: string) => Array.from({ length: 20 }, (_, i) => `livemig-exec-probe-${project}-${i + 1}.`);

export default async function setup(project: { name: string }): Promise<() => Promise<void>> {
    const file = path.join(CMDLINES_DIR, `cmdlines-${project.name}.json`);
    const seen = new Set<string>();
    const sweep = () => {
        for (const pid of readdirSync("/proc")) {
            if (!/^\d+$/.test(pid)) continue;
            try {
                const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
                if (cmd) seen.add(cmd.replace(/\0/g, " ").trim());
            } catch {
                // the process ended meanwhile
            }
        }
    };
    const execs = spawn("forkstat", ["-l", "-r", "-e", "exec"], { stdio: ["ignore", "pipe", "pipe"] });
    let rest = "";
    let ready: () => void = () => undefined;
    const listening = new Promise<void>((resolve) => (ready = resolve));
    execs.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        ready(); // forkstat prints its column header once it listens
        const lines = (rest + chunk).split("\n");
        rest = lines.pop()!;
        for (const line of lines) {
            const cmd = forkstatExec(line);
            if (cmd) seen.add(cmd);
        }
    });
    let stderr = "";
    execs.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    // A recorder that ends before the lane does saw only part of it: the lane fails rather than the audit passing on that.
    let stopping = false;
    let early = "";
    const ended = new Promise<void>((resolve) => {
        execs.on("error", (err) => {
            early ||= `${err.message} (forkstat comes with ./run's Debian packages)`;
            resolve();
        });
        execs.on("close", (code, signal) => {
            if (!stopping) early ||= `${signal ?? `exit ${code}`}: ${stderr.trim()}`;
            resolve();
        });
    });
    await Promise.race([listening, ended, new Promise((r) => setTimeout(r, 10_000))]);
    // Not after the lane's half hour: a recorder that could not start (forkstat -r needs CAP_SYS_NICE) fails now.
    if (early) throw new Error(`${project.name}: forkstat, the exec recorder of the secrets audit, did not start (${early}); the lab tests run as root, with CAP_SYS_NICE`);
    for (const probe of execProbes(project.name)) await new Promise((resolve) => execFile("/bin/true", [probe], resolve));
    sweep();
    const timer = setInterval(sweep, 1000);
    return async () => {
        clearInterval(timer);
        sweep();
        stopping = true;
        if (!early) execs.kill("SIGTERM");
        await ended;
        if (early) throw new Error(`${project.name}: forkstat, the exec recorder of the secrets audit, ended before the lane did (${early})`);
        mkdirSync(CMDLINES_DIR, { recursive: true, mode: 0o700 });
        writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), cmdlines: [...seen] }), { mode: 0o600 });
    };
}
