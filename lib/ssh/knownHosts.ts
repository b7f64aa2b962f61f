// known_hosts matching, as OpenSSH does it for plain and hashed (`|1|salt|hash`) entries.
// Modules are required inside functions: this code runs inside dynamic providers, whose closure
// serialization captures top-level imports of built-in modules by value, and fails on them.

export interface KnownHostKey {
    /** e.g. "ssh-ed25519" */
    type: string;
    /** the key blob, base64 as in the file */
    key: string;
}

/** How OpenSSH names a host in known_hosts: `addr` on port 22, `[addr]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
    return port === 22 ? host : `[${host}]:${port}`;
}

function patternMatches(pattern: string, name: string): boolean {
    if (pattern.startsWith("|1|")) {
        const [, , salt, hash] = pattern.split("|");
        if (!salt || !hash) return false;
        const { createHmac } = require("node:crypto") as typeof import("node:crypto");
        return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
    }
    // Wildcards (* and ?) as in OpenSSH host patterns.
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
    return re.test(name);
}

/** Every key that `text` (a known_hosts file) lists for `host` on `port`. Negated and @revoked entries exclude. */
export function keysFor(text: string, host: string, port: number): KnownHostKey[] {
    const name = knownHostsName(host, port);
    const keys: KnownHostKey[] = [];
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) continue;
        const fields = line.split(/\s+/);
        if (fields[0]?.startsWith("@")) {
            if (fields[0] === "@revoked") continue;
            fields.shift(); // @cert-authority: not supported, treat as a plain entry
        }
        const [patterns, type, key] = fields;
        if (!patterns || !type || !key) continue;
        let match = false;
        for (const p of patterns.split(",")) {
            if (p.startsWith("!")) {
                if (patternMatches(p.slice(1), name)) {
                    match = false;
                    break;
                }
            } else if (patternMatches(p, name)) {
                match = true;
            }
        }
        if (match) keys.push({ type, key });
    }
    return keys;
}
