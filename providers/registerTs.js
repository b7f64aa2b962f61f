// Compiles the project's TypeScript when Node.js requires it, for the program (Pulumi.yaml's nodeargs) and
// for the dynamic-provider process (providers/lazy.ts): sucrase strips the types (no type check; that is
// `./run test`'s job) and keeps every line where it was, so stack traces need no source map. Each compiled
// file is kept in a disk cache, one entry per source file, reused while the source and sucrase are the
// same: every `pulumi preview`/`up` starts the program and a provider process, and loading the project's 80
// modules took 1.45 CPU-s compiling them, 0.69 from the cache. Plain JavaScript: it runs before anything
// can compile TypeScript. A source that does not compile throws sucrase's error, which names the file.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { addHook } = require("pirates");
// sucrase itself (~0.1 CPU-s to load) only when a source is not in the cache; its version names the cache.
const SUCRASE = require("sucrase/package.json").version;

// Beside the toolchain's cache (the same root as tools/toolchain's), outside the checkout.
const ROOT = process.env.LIVEMIG_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "livemig");
const DIR = path.join(ROOT, "ts", `sucrase-${SUCRASE}`);

const OPTIONS = { transforms: ["imports", "typescript"] };

function compile(code, filePath) {
    return require("sucrase").transform(code, { ...OPTIONS, filePath }).code;
}

/** The cached output for this source, or the compiled one, stored (atomically: other processes read it). */
function cached(code, filePath) {
    const entry = path.join(DIR, `${crypto.createHash("sha256").update(filePath).digest("hex").slice(0, 32)}.js`);
    // The first line names the hash of the source and the options: an edited source (or a change of the
    // options here) misses, and its entry is replaced.
    const header = `// ${crypto.createHash("sha256").update(JSON.stringify(OPTIONS)).update("\0").update(code).digest("hex")}\n`;
    try {
        const text = fs.readFileSync(entry, "utf8");
        if (text.startsWith(header)) return text.slice(header.length);
    } catch {
        // Not cached yet.
    }
    const out = compile(code, filePath);
    try {
        fs.mkdirSync(DIR, { recursive: true });
        const tmp = `${entry}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, header + out);
        fs.renameSync(tmp, entry);
    } catch {
        // A read-only or full disk: compiled each time, as without the cache.
    }
    return out;
}

addHook(cached, { exts: [".ts"] });
