// The real Pulumi engine (CLI built by tools/toolchain, our Node.js language host, the dynamic-provider
// plugin), driven through the Automation API on a local file backend.
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROVIDER_FORM } from "../../providers/lazy";
import { pulumiCommand, pulumiEnv, repoRoot } from "../support/env";
import { startLoopbackSshd, type LoopbackSshd } from "../support/sshd";

const SECRET = `payload-${Math.random().toString(36).slice(2)}-do-not-leak`;

function stateFiles(dir: string): string[] {
    return readdirSync(dir, { recursive: true, encoding: "utf8" })
        .map((f) => path.join(dir, f))
        .filter((f) => statSync(f).isFile());
}

describe("the Pulumi engine", () => {
    let sshd: LoopbackSshd;
    let stack: Stack;
    let markerFile: string;
    const env = pulumiEnv("engine-test");
    const stateDir = env.PULUMI_BACKEND_URL!.replace("file://", "");
    const projectDir = path.join(repoRoot, "test/fixtures/engine-stack");
    /** The CLI itself, in the test project with the test's backend (and `extra` environment). */
    const cli = (args: string[], extra: Record<string, string> = {}) =>
        spawnSync("pulumi", args, { cwd: projectDir, env: { ...process.env, ...env, ...extra }, encoding: "utf8" });

    beforeAll(async () => {
        sshd = await startLoopbackSshd();
        markerFile = path.join(sshd.dir, "marker");
        stack = await LocalWorkspace.createOrSelectStack(
            { stackName: `engine-${process.pid}`, workDir: projectDir },
            { envVars: env, pulumiCommand: await pulumiCommand() },
        );
        await stack.setAllConfig({
            target: { value: JSON.stringify({ name: "loopback", address: "127.0.0.1", port: sshd.port, user: "root" }) },
            markerFile: { value: markerFile },
            payload: { value: SECRET, secret: true },
            ssh: { value: JSON.stringify({ privateKeyPath: sshd.privateKeyPath, knownHostsPath: sshd.knownHostsPath }) },
        });
    });

    afterAll(async () => {
        if (stack) {
            await stack.destroy().catch(() => undefined);
            await stack.workspace.removeStack(stack.name).catch(() => undefined);
        }
        await sshd?.stop();
    });

    it("is the version the project pins, with our language host", async () => {
        const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
        expect(stack.workspace.pulumiVersion).toBe(pkg.dependencies["@pulumi/pulumi"]);
        const aboutRun = cli(["about", "--json"]);
        expect(aboutRun.status, aboutRun.stderr).toBe(0);
        const about = JSON.parse(aboutRun.stdout);
        expect(about.cliAbout.version).toBe(pkg.dependencies["@pulumi/pulumi"]);
        expect(about.plugins).toContainEqual({ name: "nodejs", kind: "language", version: pkg.dependencies["@pulumi/pulumi"] });
        expect(about.runtime).toMatchObject({ language: "nodejs", version: process.version.slice(1) });
    });

    it("starts without decoding password lists (tools/go/patches), and still refuses a plaintext config value that looks like a secret", () => {
        // GODEBUG=inittrace=1: Go prints each package's init work at start. Decoding the lists and compiling the
        // package schema's JSON schema allocated 3-10 MB per package (~0.2 s of the CLI's ~0.3 s init); now < 0.2 MB.
        const start = cli(["version"], { GODEBUG: "inittrace=1" });
        expect(start.status).toBe(0);
        const allocated = new Map([...start.stderr.matchAll(/^init (\S+) @.*?, (\d+) bytes/gm)].map((m) => [m[1]!, Number(m[2])]));
        const lazy = ["ccojocar", "nbutton23"].flatMap((o) => [`github.com/${o}/zxcvbn-go/frequency`, `github.com/${o}/zxcvbn-go/matching`]);
        lazy.push("github.com/pulumi/pulumi/pkg/v3/codegen/schema");
        expect(allocated.size).toBeGreaterThan(100); // the trace was read (a package without init work has no line)
        expect(lazy.map((pkg) => [pkg, (allocated.get(pkg) ?? 0) < 1_000_000])).toEqual(lazy.map((pkg) => [pkg, true]));
        // The lists load at first use: `config set` without --secret or --plaintext scores the value with them.
        const set = cli(["config", "set", "dbPassword", "--stack", stack.name, "--", "Xy7#kLm9$pQ2wZr8!vBn4Tq&"]);
        expect(set.status).not.toBe(0);
        expect(set.stderr).toContain("looks like a secret");
        expect(cli(["config", "set", "dbPassword", "--stack", stack.name, "--", "password"]).status).toBe(0);
        expect(cli(["config", "rm", "dbPassword", "--stack", stack.name]).status).toBe(0);
    });

    it("creates a dynamic-provider resource over real SSH (up)", async () => {
        const up = await stack.up();
        expect(up.summary.result).toBe("succeeded");
        expect(up.summary.resourceChanges?.create).toBe(2); // the stack and the RemoteScript
        expect(readFileSync(markerFile, "utf8")).toBe(SECRET);
        expect(up.outputs.stdout?.value).toContain(`wrote ${markerFile}`);
    });

    it("keeps the secret out of the state in clear text", () => {
        for (const f of stateFiles(stateDir)) expect(readFileSync(f, "utf8")).not.toContain(SECRET);
    });

    it("stores where each resource was declared, not the whole stack trace (patches/: a quarter of a server's state)", async () => {
        const { resources } = (await stack.exportStack()).deployment as { resources: { type: string; sourcePosition?: string; stackTrace?: unknown }[] };
        const script = resources.find((r) => r.type.endsWith(":RemoteScript"));
        expect(script?.sourcePosition).toMatch(/^project:\/\/\/.+\.ts#\d+,\d+$/);
        for (const r of resources) expect(r.stackTrace).toBeUndefined();
    });

    it("sees no changes on a second preview", async () => {
        const preview = await stack.preview({ expectNoChanges: true });
        expect(preview.changeSummary.same).toBe(2);
    });

    it("hears none of the SDK's per-resource debug messages (each was a Log RPC and an engine event), still the runner's", async () => {
        // patches/@pulumi+pulumi+3.248.0.patch: 12 per server of the main program, ~30% of the time of a 200-server preview.
        const debug: string[] = [];
        // The SDK's type leaves "debug" out of the severities, but the engine sends it.
        await stack.preview({ onEvent: (e) => (e.diagnosticEvent?.severity as string | undefined) === "debug" && debug.push(e.diagnosticEvent!.message) });
        expect(debug.some((m) => m.startsWith("Running program"))).toBe(true);
        expect(debug.filter((m) => /^(Registering resource|RegisterResource(Outputs)? RPC|Resource RPC serialization)/.test(m))).toEqual([]);
    });

    it("shows a hand-made change as drift after refresh, and repairs it with up", async () => {
        writeFileSync(markerFile, "edited by hand");
        const preview = await stack.preview({ refresh: true, diff: true });
        expect(preview.changeSummary.update).toBe(1);
        expect(preview.stdout).toContain("has other content");
        await stack.refresh();
        const up = await stack.up();
        expect(up.summary.resourceChanges?.update).toBe(1);
        expect(readFileSync(markerFile, "utf8")).toBe(SECRET);
        await stack.preview({ expectNoChanges: true, refresh: true });
        for (const f of stateFiles(stateDir)) expect(readFileSync(f, "utf8")).not.toContain(SECRET);
    });

    it("refreshes without changes when nothing drifted", async () => {
        const refresh = await stack.refresh();
        expect(refresh.summary.result).toBe("succeeded");
        expect(refresh.summary.resourceChanges?.update ?? 0).toBe(0);
        // No stray diagnostics (errors thrown by serialized provider classes once printed "[object Object]: undefined").
        expect(`${refresh.stdout}\n${refresh.stderr}`).not.toMatch(/\[object Object\]|: undefined\b/);
    });

    const stateSize = () => statSync(path.join(stateDir, ".pulumi/stacks/engine-check", `${stack.name}.json`)).size;
    const storedProvider = async () => JSON.stringify((await stack.exportStack()).deployment.resources.find((r: { type: string }) => r.type.endsWith(":RemoteScript"))?.outputs?.__provider);
    /**
     * Creates the resource with an older provider form, then runs one `up` with the current one: a single
     * update that only stores the new form (the script does not run again), and nothing left to do.
     * Returns the state's size with the older form.
     */
    async function upgradeFrom(form: string, stored: string): Promise<number> {
        await stack.destroy();
        await stack.setConfig("providerForm", { value: form });
        await stack.up();
        const before = stateSize();
        expect(await storedProvider()).toContain(stored);
        writeFileSync(markerFile, "the script must not run again"); // an update that re-ran it would rewrite this
        await stack.removeConfig("providerForm");
        const up = await stack.up();
        expect(up.summary.resourceChanges?.update).toBe(1); // only the stored provider changed
        expect(readFileSync(markerFile, "utf8")).toBe("the script must not run again");
        expect(await storedProvider()).toContain(PROVIDER_FORM);
        await stack.preview({ expectNoChanges: true });
        writeFileSync(markerFile, SECRET);
        return before;
    }

    it("upgrades a state written by the self-contained provider form, in one up that runs nothing on the host", async () => {
        const before = await upgradeFrom("self-contained", "exports.handler");
        console.log(`engine fixture state: ${before} B with the self-contained provider, ${stateSize()} B with a reference`);
        expect(before).toBeGreaterThan(30_000); // the old form stores the provider's modules…
        expect(stateSize()).toBeLessThan(before / 3); // …the new one a reference
    });

    it("upgrades a state written by the first form of references (its loader in every resource), likewise", async () => {
        await upgradeFrom("lazy-1", "livemig-lazy-provider-1");
    });

    it("works on the same state from another clone in another directory: refresh, up, destroy (running the delete script)", async () => {
        // What CI or a colleague has: the project checked out elsewhere (its node_modules installed there).
        const clone = mkdtempSync(path.join(tmpdir(), "livemig-clone-"));
        try {
            for (const d of ["Pulumi.yaml", "package.json", "tsconfig.json", "lib", "providers", "components", "test/fixtures"]) {
                cpSync(path.join(repoRoot, d), path.join(clone, d), { recursive: true });
            }
            symlinkSync(path.join(repoRoot, "node_modules"), path.join(clone, "node_modules"));
            const elsewhere = await LocalWorkspace.selectStack(
                { stackName: stack.name, workDir: path.join(clone, "test/fixtures/engine-stack") },
                { envVars: env, pulumiCommand: await pulumiCommand() },
            );
            const refresh = await elsewhere.refresh();
            expect(refresh.summary.resourceChanges?.update ?? 0).toBe(0);
            await elsewhere.preview({ expectNoChanges: true });
            writeFileSync(markerFile, "edited by hand"); // drift, repaired from the clone
            await elsewhere.up({ refresh: true });
            expect(readFileSync(markerFile, "utf8")).toBe(SECRET);
            const destroy = await elsewhere.destroy();
            expect(destroy.summary.resourceChanges?.delete).toBe(2);
            expect(existsSync(markerFile)).toBe(false);
        } finally {
            rmSync(clone, { recursive: true, force: true });
        }
    });
});

// tools/go/patches/pulumi-pkg-snapshot-coalesce.patch: the engine's snapshot manager saves once for the
// mutations already waiting (each answered only after a save that holds it). Counted with the file backend's
// own PULUMI_RETAIN_CHECKPOINTS, which keeps a copy of every save; LIVEMIG_CHECKPOINT_EVERY_MUTATION=true is
// upstream's loop, one save per mutation. The program: the scale bench's plain program in its no-op mode.
describe("the Pulumi engine's checkpoints", () => {
    const COUNT = 150;
    const env = pulumiEnv("engine-checkpoints");
    const stacksDir = path.join(env.PULUMI_BACKEND_URL!.replace("file://", ""), ".pulumi/stacks/livemig-plain");

    async function up(everyMutation: boolean): Promise<{ saves: number; servers: number }> {
        const name = `checkpoints-${everyMutation ? "every" : "coalesced"}-${process.pid}`;
        const envVars = { ...env, PULUMI_RETAIN_CHECKPOINTS: "true", ...(everyMutation ? { LIVEMIG_CHECKPOINT_EVERY_MUTATION: "true" } : {}) };
        // The retained copies (a copy of the whole state per save: hundreds of MB a run) are removed afterwards.
        const retained = () => (existsSync(stacksDir) ? readdirSync(stacksDir) : []).filter((f) => new RegExp(`^${name}\\.json\\.\\d+(\\.attrs)?$`).test(f));
        const removeRetained = () => { for (const f of retained()) rmSync(path.join(stacksDir, f), { force: true }); };
        removeRetained();
        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName: name, workDir: path.join(repoRoot, "test/bench/plain-program") },
            { envVars, pulumiCommand: await pulumiCommand() },
        );
        try {
            await stack.setAllConfig({ count: { value: String(COUNT) }, mode: { value: "noop" } });
            await stack.up();
            const saves = retained().filter((f) => !f.endsWith(".attrs")).length;
            const { resources } = (await stack.exportStack()).deployment as { resources: { type: string; outputs?: { status?: string } }[] };
            return { saves, servers: resources.filter((r) => r.type.endsWith(":Server") && r.outputs?.status === "ACTIVE").length };
        } finally {
            await stack.destroy().catch(() => undefined);
            await stack.workspace.removeStack(stack.name).catch(() => undefined);
            removeRetained();
        }
    }

    it("are saved once for the steps already waiting, not once per step, and hold every resource", async () => {
        const every = await up(true);
        const coalesced = await up(false);
        console.log(`checkpoints of an up of ${COUNT} resources: ${every.saves} saves one per mutation, ${coalesced.saves} coalesced`);
        // Upstream's loop: a save as each create begins and another as it ends.
        expect(every).toMatchObject({ servers: COUNT });
        expect(every.saves).toBeGreaterThanOrEqual(2 * COUNT);
        expect(coalesced.servers).toBe(COUNT);
        expect(coalesced.saves, "one save per mutation: this is not the engine tools/toolchain builds with tools/go/patches (a Pulumi found on PATH is used as it is)").toBeLessThan(0.75 * every.saves);
    }, 300_000);
});
