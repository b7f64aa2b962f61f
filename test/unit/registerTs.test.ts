// providers/registerTs.js in a real Node.js process, as the program and the provider process load it:
// TypeScript compiled on require with its lines kept, and the compiled file taken from the disk cache
// while its source is unchanged.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repoRoot } from "../support/env";

const REGISTER = path.join(repoRoot, "providers/registerTs.js");

describe("providers/registerTs.js", () => {
    let dir: string;
    let cache: string;
    let source: string;
    beforeEach(() => {
        dir = mkdtempSync(path.join(tmpdir(), "livemig-registerts-"));
        cache = path.join(dir, "cache");
        source = path.join(dir, "mod.ts");
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    // Types on the lines before the throw: a compiler that moved lines would name another one.
    const module = (value: string) => `interface Shape {\n    size: number;\n}\ntype Name = { text: string };\nexport function value(_s?: Shape, _n?: Name): string {\n    return ${JSON.stringify(value)};\n}\nexport function fail(s: Shape): number {\n    const x: Record<string, Shape> = {};\n    return s.size + (x as any).missing.size;\n}\n`;
    /** Runs `script` in node with the hook registered; returns its stdout. */
    const node = (script: string, cacheDir = cache) =>
        execFileSync(process.execPath, ["-r", REGISTER, "-e", script], { cwd: dir, env: { ...process.env, LIVEMIG_CACHE_DIR: cacheDir }, encoding: "utf8" }).trim();
    /** The cache's entries (one directory per sucrase version, so one here). */
    const entries = () => {
        const [version] = readdirSync(path.join(cache, "ts"));
        const d = path.join(cache, "ts", version!);
        return readdirSync(d).map((f) => path.join(d, f));
    };

    it("compiles TypeScript on require and keeps its line numbers in stack traces", () => {
        writeFileSync(source, module("one"));
        expect(node(`console.log(require("./mod.ts").value())`)).toBe("one");
        const stack = node(`try { require("./mod.ts").fail({ size: 1 }) } catch (e) { console.log(e.stack.split("\\n")[1]) }`);
        expect(stack).toContain(`${source}:10:`);
    });

    it("reuses the cached output while the source is the same, and compiles an edited source again", () => {
        writeFileSync(source, module("one"));
        expect(node(`console.log(require("./mod.ts").value())`)).toBe("one");
        const [entry, ...more] = entries();
        expect(more).toEqual([]);
        const text = readFileSync(entry!, "utf8");
        const header = text.split("\n")[0]!;
        expect(header).toMatch(/^\/\/ [0-9a-f]{64}$/);
        // The cache is what runs: an entry changed behind the hook's back is used as it is.
        writeFileSync(entry!, text.replace('"one"', '"from the cache"'));
        expect(node(`console.log(require("./mod.ts").value())`)).toBe("from the cache");
        // An edited source misses and replaces its entry: still one per source file.
        writeFileSync(source, module("two"));
        expect(node(`console.log(require("./mod.ts").value())`)).toBe("two");
        expect(entries()).toEqual([entry]);
        expect(readFileSync(entry!, "utf8")).toContain('"two"');
        expect(readFileSync(entry!, "utf8").split("\n")[0]).not.toBe(header);
    });

    it("names the file and the place of a source that does not compile, and caches nothing for it", () => {
        writeFileSync(source, "export const broken: = 1;\n");
        const run = spawnSync(process.execPath, ["-r", REGISTER, "-e", `require("./mod.ts")`], { cwd: dir, env: { ...process.env, LIVEMIG_CACHE_DIR: cache }, encoding: "utf8" });
        expect(run.status).not.toBe(0);
        expect(run.stderr).toContain(`Error transforming ${source}: Unexpected token (1:`);
        expect(existsSync(path.join(cache, "ts")) ? entries() : []).toEqual([]);
    });

    it("still compiles when the cache cannot be written", () => {
        writeFileSync(source, module("one"));
        const notADir = path.join(dir, "file");
        writeFileSync(notADir, "");
        expect(node(`console.log(require("./mod.ts").value())`, notADir)).toBe("one");
    });
});
