// What every builder returns: the converge script, and the check script that prints `DRIFT …` lines.
export interface HostStep {
    create: string;
    check: string;
}

/** SHA-256 (hex) of a PEM as the scripts write it: trimmed, one trailing newline. */
export function pemSha256(pem: string): string {
    const { createHash } = require("node:crypto") as typeof import("node:crypto");
    return createHash("sha256").update(`${pem.trim()}\n`).digest("hex");
}
