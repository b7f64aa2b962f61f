// vitest globalSetup of the lab tests: samples every process's command line (of this machine and of the
// lab's hosts, whose processes the root pid namespace sees) all through the suite, so that the audit
// afterwards (test/audit/secrets.test.ts) can show that no secret was ever passed on a command line.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot } from "./env";

/** One file per lab project (the lanes run side by side, each with its own sampler): cmdlines-<project>.json. */
export const CMDLINES_DIR = path.join(repoRoot, ".pulumi-state", "audit");

export default function setup(project: { name: string }): () => void {
    const file = path.join(CMDLINES_DIR, `cmdlines-${project.name}.json`);
    const seen = new Set<string>();
    const sample = () => {
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
    const timer = setInterval(sample, 100);
    return () => {
        clearInterval(timer);
        sample();
        mkdirSync(CMDLINES_DIR, { recursive: true, mode: 0o700 });
        writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), cmdlines: [...seen] }), { mode: 0o600 });
    };
}
