// patches/@pulumi+pulumi+3.248.0.patch (applied by patch-package at npm ci), in real Node.js processes: loading
// the SDK, as every program and dynamic-provider process does, leaves out what only some uses need
// (TypeScript's compiler, npm's arborist and package-data checks, OpenTelemetry's SDK, the Automation API),
// and each of those uses still works, loading it then. The promises' stack traces are taken only when leaks
// are debugged, and then name the caller. The Automation API reads a stack's outputs and summary after an
// update at once, not one CLI run after another. (Its per-resource debug messages, left out unless the SDK's
// excessiveDebugOutput is on, are counted in a real preview by test/lab/engine.test.ts.)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/env";

/** Runs `script` in node in the project's directory; returns what it printed. */
const node = (script: string) => execFileSync(process.execPath, ["-e", script], { cwd: repoRoot, encoding: "utf8" }).trim();

/** Script text: the heavy packages loaded so far. */
const loaded = `[...new Set(Object.keys(require.cache).map((k) => (k.match(/node_modules\\/(typescript|@npmcli\\/arborist|@opentelemetry\\/sdk-trace-node|normalize-package-data|@pulumi\\/pulumi\\/automation)\\//) || [])[1]).filter(Boolean))].sort()`;

describe("the SDK's patches", () => {
    it("loading @pulumi/pulumi and the program runner's tracing loads none of TypeScript, arborist, OpenTelemetry's SDK, the Automation API", () => {
        expect(JSON.parse(node(`require("@pulumi/pulumi"); require("@pulumi/pulumi/cmd/run/tracing"); console.log(${loaded})`))).toEqual([]);
    });

    it("serializing a function loads TypeScript's compiler then, and works", () => {
        const out = node(`require("@pulumi/pulumi").runtime.serializeFunction(() => 6 * 7).then((f) => console.log(JSON.stringify({ has: f.text.includes("6 * 7"), loaded: ${loaded} })))`);
        expect(JSON.parse(out)).toEqual({ has: true, loaded: ["typescript"] });
    });

    it("the Automation API is loaded when first used, from CommonJS and as an ES module's named import", () => {
        expect(JSON.parse(node(`const p = require("@pulumi/pulumi"); console.log(JSON.stringify([typeof p.automation.LocalWorkspace.create, ${loaded}]))`))).toEqual(["function", ["@pulumi/pulumi/automation"]]);
        const esm = execFileSync(process.execPath, ["--input-type=module", "-e", `import { automation } from "@pulumi/pulumi"; console.log(typeof automation.LocalWorkspace.create)`], { cwd: repoRoot, encoding: "utf8" });
        expect(esm.trim()).toBe("function");
    });

    it("computing code paths loads arborist then, and works", () => {
        const out = node(`require("@pulumi/pulumi").runtime.computeCodePaths().then((m) => console.log(JSON.stringify({ pirates: m.has("node_modules/pirates"), loaded: ${loaded} })))`);
        const { pirates, loaded: now } = JSON.parse(out);
        expect(pirates).toBe(true);
        expect(now).toEqual(expect.arrayContaining(["@npmcli/arborist", "normalize-package-data"]));
    });

    it("starting tracing loads OpenTelemetry's SDK then", () => {
        // Nothing is sent: no span is ended before the process exits.
        const out = node(`const t = require("@pulumi/pulumi/cmd/run/tracing"); t.start("http://127.0.0.1:9/api/v2/spans"); t.newSpan("x"); console.log(JSON.stringify(${loaded}))`);
        expect(JSON.parse(out)).toContain("@opentelemetry/sdk-trace-node");
    });

    it("with PULUMI_DEBUG_PROMISE_LEAKS, a leaked promise's report still names where the promise was made", () => {
        // With PULUMI_DEBUG_PROMISE_LEAKS the SDK prints each leaked promise's stack on stderr.
        const script = `const d = require("@pulumi/pulumi/runtime/debuggable");
            function registerSomething() { d.debuggablePromise(new Promise(() => {}), "ctx-x"); }
            registerSomething();
            d.leakedPromises();`;
        const r = spawnSync(process.execPath, ["-e", script], { cwd: repoRoot, env: { ...process.env, PULUMI_DEBUG_PROMISE_LEAKS: "1" }, encoding: "utf8" });
        expect(r.status).toBe(0);
        expect(r.stderr).toMatch(/CONTEXT\(\d+\): ctx-x\nSTACK_TRACE:\nError\n\s+at .*debuggablePromise .*\n\s+at registerSomething /);
    });

    it("after an update, the Automation API runs its three reads (masked outputs, outputs, summary) at once", async () => {
        // The CLI stands in here, recording each command's span; the lab tests run the real one.
        const { LocalWorkspace, Stack } = await import("@pulumi/pulumi/automation");
        const spans: { cmd: string; start: number; end: number }[] = [];
        let inFlight = 0;
        let mostInFlight = 0;
        const answers: Record<string, string> = { output: "{}", history: "[]" };
        const pulumiCommand = {
            command: "pulumi",
            version: { toString: () => "3.248.0" },
            async run(args: string[]) {
                const start = performance.now();
                mostInFlight = Math.max(mostInFlight, ++inFlight);
                if (args[0] === "stack" && args[1] !== "select") await new Promise((r) => setTimeout(r, 200));
                inFlight--;
                spans.push({ cmd: args.slice(0, 2).join(" "), start, end: performance.now() });
                return { stdout: answers[args[1]!] ?? "", stderr: "", code: 0 };
            },
        };
        const dir = mkdtempSync(path.join(tmpdir(), "livemig-auto-"));
        try {
            const ws = await LocalWorkspace.create({ workDir: dir, pulumiCommand: pulumiCommand as never, projectSettings: { name: "p", runtime: "nodejs" } });
            await (await Stack.select("s", ws)).up();
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
        const reads = spans.filter((s) => s.cmd === "stack output" || s.cmd === "stack history");
        expect(reads.map((r) => r.cmd).sort()).toEqual(["stack history", "stack output", "stack output"]);
        // All three were running at the same moment (one after another, never more than one was).
        expect(mostInFlight).toBe(3);
        // Each read takes 200 ms: one after another they would span 600 ms.
        expect(Math.max(...reads.map((r) => r.end)) - Math.min(...reads.map((r) => r.start))).toBeLessThan(400);
    });
});
