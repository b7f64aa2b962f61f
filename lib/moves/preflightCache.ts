// Passed pre-flights, remembered within one run of the pulumi CLI: `pulumi up` runs its preview and then
// its update in separate provider processes, and both check the same planned moves. Another run (a later
// `pulumi up`, a preview) checks again. Only passes are kept: a failure is checked again every time.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const DIR = path.join(tmpdir(), `livemig-preflight-${process.getuid?.() ?? 0}`);

/** The `pulumi` process this provider runs under, as "pid-starttime" (a reused pid is another run); undefined when unknown. */
export function cliRun(start = process.pid): string | undefined {
    let pid = start;
    for (let depth = 0; depth < 12 && pid > 1; depth++) {
        let stat: string;
        try {
            stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        } catch {
            return undefined; // no /proc: no reuse
        }
        const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (comm === "pulumi") return `${pid}-${rest[19]}`; // field 22: start time
        pid = Number(rest[1]); // field 4: ppid
    }
    return undefined;
}

function file(run: string, key: unknown): string {
    return path.join(DIR, createHash("sha256").update(JSON.stringify([run, key])).digest("hex").slice(0, 32));
}

/**
 * A script changed `host` in this run (the stack reconfigured it): a pre-flight that passed before
 * says nothing about it any more. Called by the provider that runs host scripts.
 */
export function noteHostChanged(host: string, run = cliRun()): void {
    if (run === undefined) return;
    try {
        mkdirSync(DIR, { recursive: true, mode: 0o700 });
        writeFileSync(file(run, { changed: host }), String(Date.now()), { mode: 0o600 });
    } catch {
        // then a later check reuses a pass it should not: only within this run, and the move itself still checks
    }
}

function changedAt(run: string, host: string): number {
    try {
        return Number(readFileSync(file(run, { changed: host }), "utf8"));
    } catch {
        return 0;
    }
}

/**
 * `check()`'s failures, or [] at once when the same check (by `key`) passed in this run of the CLI less
 * than `reuseMs` ago and none of `hosts` was changed by the stack since.
 */
export async function cachedPass(key: unknown, reuseMs: number, check: () => Promise<string[]>, run = cliRun(), hosts: string[] = []): Promise<string[]> {
    if (run === undefined) return check();
    const f = file(run, key);
    try {
        const at = Number(readFileSync(f, "utf8"));
        const age = Date.now() - at;
        if (age >= 0 && age < reuseMs && hosts.every((h) => changedAt(run, h) < at)) return [];
    } catch {
        // not checked yet in this run (or the cache is unreadable: check again)
    }
    const failures = await check();
    if (failures.length === 0) {
        try {
            mkdirSync(DIR, { recursive: true, mode: 0o700 });
            writeFileSync(f, String(Date.now()), { mode: 0o600 });
        } catch {
            // a cache that cannot be written only costs a second check
        }
    }
    return failures;
}
