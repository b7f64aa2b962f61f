// Fleet scale: the project's engine path at 50, 200 and 500 servers on the fake computes, with normal
// checkpoints (the file backend saves the state after every step, as an operator's `pulumi up` does),
// next to a plain program that declares the same servers as bare resources (no config validation, no
// Server components, no placements). For each size: `pulumi up` from nothing, a no-change `pulumi up`,
// `pulumi preview`, and (ours) a placement change of one server; wall time, state size, and the peak RSS
// of the CLI and of the program. Then the growth per server between sizes.
// Beside them, to tell the engine's growth from Nova's: the same plain program with providers that do
// nothing (the engine alone, in the plain shape and in the project's: component, instance, placement), and
// Nova alone (the same servers booted through the API, as many at once as the engine runs steps).
// LIVEMIG_BENCH_SCALE_PARTS picks the series (default all): ours, plain, engine, nova.
// Also: the program's start, from the CLI's start to the first resource registration, with the project's
// runtime settings (sucrase, no type check) and with the type-checking ts-node start it had before.
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import * as path from "node:path";
import { GlanceClient, NovaClient, OpenStackSession, loadCloud, waitForServerGone, waitForServerStatus } from "../../lib/openstack";
import { runPool } from "../../lib/moves/pool";
import { pulumiCommand, pulumiEnv, repoRoot } from "../support/env";
import { FAKE_IMAGE, FAKES, fakeServer } from "../support/fakes";
import { configuredTestStack, labOpenStack, setStackConfig } from "../support/lab";
import { peakRss, ratio, record, secs, timed } from "./support";

const SIZES = (process.env.LIVEMIG_BENCH_SIZES ?? "50,200,500").split(",").map(Number);
const PARTS = ["ours", "plain", "engine", "nova"] as const;
type Part = (typeof PARTS)[number];
const parts = (process.env.LIVEMIG_BENCH_SCALE_PARTS ?? PARTS.join(",")).split(",");
for (const p of parts) if (!PARTS.includes(p as Part)) throw new Error(`LIVEMIG_BENCH_SCALE_PARTS: ${p} is not one of ${PARTS.join(", ")}`);
/** The CLI's default --parallel (4 per CPU, pkg/cmd/pulumi/operations): steps the engine runs at once. */
const ENGINE_PARALLEL = 4 * cpus().length;

const servers = (n: number, moved = -1) =>
    Array.from({ length: n }, (_, i) => fakeServer(`bench-scale-${i}`, { host: i === moved ? "fake-3" : i % 2 ? "fake-1" : "fake-2" }));
const oursConfig = (n: number, moved = -1) => ({ openstack: { cloud: "livemig-lab" }, computes: FAKES, servers: servers(n, moved) });

const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const stateBytes = async (s: Stack) => JSON.stringify(await s.exportStack()).length;

interface Figures {
    up: number;
    noChange: number;
    preview: number;
    move?: number;
    state: number;
}

/** One measured step: wall time and the peak RSS of the CLI and of the program while it ran. */
async function step(bench: string, what: string, fn: () => Promise<unknown>): Promise<number> {
    const { ms, rss } = await peakRss(fn);
    record(bench, what, secs(ms), `peak RSS: CLI ${mib(rss.cli)}, program ${mib(rss.program)}, providers ${mib(rss.providers)}`);
    return ms;
}

async function measureOurs(n: number): Promise<Figures> {
    const B = `scale ${n} servers`;
    const ours = await configuredTestStack(`bench-scale-${n}`, oursConfig(n));
    try {
        const up = await step(B, "ours: pulumi up from nothing", () => ours.stack.up());
        const state = await stateBytes(ours.stack);
        record(B, "ours: state", mib(state), `${kib(state / n)} per server (Server + Placement)`);
        const noChange = await step(B, "ours: no-change pulumi up", () => ours.stack.up());
        const preview = await step(B, "ours: pulumi preview", () => ours.stack.preview());
        await setStackConfig(ours.stack, oursConfig(n, 0));
        const move = await step(B, "ours: pulumi up, one server's placement changed (a live migration)", () => ours.stack.up());
        return { up, noChange, preview, move, state };
    } finally {
        await ours.stack.destroy().catch(() => undefined);
        await ours.remove();
    }
}

/** The plain program (test/bench/plain-program) in one of its modes: "nova", "noop" or "noop-ours". */
async function measurePlain(n: number, mode = "nova", label = "plain", env: Record<string, string> = {}): Promise<Figures> {
    const B = `scale ${n} servers`;
    const plain = await LocalWorkspace.createOrSelectStack(
        { stackName: `bench-plain-${mode}-${n}-${process.pid}`, workDir: path.join(repoRoot, "test/bench/plain-program") },
        { envVars: { ...pulumiEnv("bench"), ...env }, pulumiCommand: await pulumiCommand() },
    );
    try {
        await plain.setAllConfig({ count: { value: String(n) }, mode: { value: mode }, "livemig-plain:openstack": { value: JSON.stringify({ cloud: "livemig-lab" }) } });
        const up = await step(B, `${label}: pulumi up from nothing`, () => plain.up());
        const state = await stateBytes(plain);
        record(B, `${label}: state`, mib(state), `${kib(state / n)} per server`);
        const noChange = await step(B, `${label}: no-change pulumi up`, () => plain.up());
        const preview = await step(B, `${label}: pulumi preview`, () => plain.preview());
        return { up, noChange, preview, state };
    } finally {
        await plain.destroy().catch(() => undefined);
        await plain.workspace.removeStack(plain.name, { force: true }).catch(() => undefined);
    }
}

/**
 * Nova alone: the plain program's servers booted through the API, ENGINE_PARALLEL at a time, each created
 * and waited for ACTIVE as ServerInstance's create does (the flavor and image looked up once, not per
 * server). Deleted afterwards, not timed.
 */
async function measureNova(n: number): Promise<number> {
    const B = `scale ${n} servers`;
    const nova = new NovaClient(new OpenStackSession(loadCloud({ cloud: "livemig-lab" })));
    const flavor = await nova.findFlavor("m1.tiny");
    const image = await new GlanceClient(nova.session).findImage(FAKE_IMAGE);
    if (!flavor || !image) throw new Error(`flavor m1.tiny or image ${FAKE_IMAGE} not found in the lab: run lab/lab up`);
    const ids: string[] = [];
    try {
        const { ms, result } = await timed(() =>
            runPool(Array.from({ length: n }, (_, i) => i), ENGINE_PARALLEL, async (i) => {
                const { id } = await nova.createServer({
                    name: `bench-nova-${i}`,
                    flavorRef: flavor.id,
                    imageRef: image.id,
                    host: i % 2 ? "fake-1" : "fake-2",
                    availabilityZone: "fake",
                    networks: "none",
                });
                ids.push(id);
                await waitForServerStatus(nova, id, { status: "ACTIVE", failStates: ["ERROR"], timeoutMs: 600_000 });
            }),
        );
        const failed = result.filter((r) => r.error);
        if (failed.length > 0) throw new Error(`Nova alone: ${failed.length} of ${n} servers failed, first: ${failed[0]!.error!.message}`);
        record(B, `Nova alone: ${n} servers booted through the API, ${ENGINE_PARALLEL} at a time`, secs(ms), "each created and waited for ACTIVE");
        return ms;
    } finally {
        await runPool(ids, ENGINE_PARALLEL, async (id) => {
            if (await nova.deleteServer(id)) await waitForServerGone(nova, id, { timeoutMs: 600_000 });
        });
    }
}

/** From calling the CLI to the engine's first event for a resource of the program (after the stack itself). */
async function firstRegistration(stack: Stack): Promise<number> {
    const t0 = performance.now();
    let first: number | undefined;
    await stack.preview({
        onEvent: (e) => {
            const type = e.resourcePreEvent?.metadata.type;
            if (first === undefined && type && type !== "pulumi:pulumi:Stack") first = performance.now() - t0;
        },
    });
    if (first === undefined) throw new Error("the preview registered no resource");
    return first;
}

async function benchStartup(): Promise<void> {
    const B = "program start";
    const config = oursConfig(1);
    const ours = await configuredTestStack("bench-start", config);
    // The same program, started the way it was before: ts-node with a type check of the whole project.
    const old = mkdtempSync(path.join(tmpdir(), "livemig-typecheck-"));
    for (const d of ["index.ts", "components", "providers", "lib", "package.json", "tsconfig.json"]) cpSync(path.join(repoRoot, d), path.join(old, d), { recursive: true });
    symlinkSync(path.join(repoRoot, "node_modules"), path.join(old, "node_modules"));
    writeFileSync(path.join(old, "Pulumi.yaml"), "name: livemig\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
    // tsconfig.json includes test files the copy does not have: leave them out there.
    writeFileSync(path.join(old, "tsconfig.json"), JSON.stringify({ ...require(path.join(repoRoot, "tsconfig.json")), include: ["index.ts", "components/**/*.ts", "providers/**/*.ts", "lib/**/*.ts"] }));
    const typeChecked = await LocalWorkspace.createOrSelectStack({ stackName: `bench-start-old-${process.pid}`, workDir: old }, { envVars: pulumiEnv("bench"), pulumiCommand: await pulumiCommand() });
    try {
        await setStackConfig(typeChecked, config);
        const median = async (s: Stack) => {
            const t: number[] = [];
            for (let i = 0; i < 3; i++) t.push(await firstRegistration(s));
            return t.sort((a, b) => a - b)[1]!;
        };
        const now = await median(ours.stack);
        const before = await median(typeChecked);
        record(B, "CLI start → first resource registration: sucrase, no type check (this project)", secs(now), "median of 3");
        record(B, "the same with ts-node and a type check (before)", secs(before), `median of 3; ${ratio(now, before)} of it`);
    } finally {
        await ours.remove();
        await typeChecked.workspace.removeStack(typeChecked.name, { force: true }).catch(() => undefined);
        rmSync(old, { recursive: true, force: true });
    }
}

export async function benchScale(): Promise<void> {
    await labOpenStack("up");
    if (parts.includes("ours")) await benchStartup();
    type Series = { ours?: Figures; plain?: Figures; engine?: Figures; engineOurs?: Figures; engineOursUpstream?: Figures; nova?: number };
    const all: { n: number; s: Series }[] = [];
    for (const n of SIZES) {
        const s: Series = {};
        if (parts.includes("ours")) s.ours = await measureOurs(n);
        if (parts.includes("plain")) s.plain = await measurePlain(n);
        if (parts.includes("engine")) {
            s.engine = await measurePlain(n, "noop", "engine alone, plain shape (providers that do nothing)");
            s.engineOurs = await measurePlain(n, "noop-ours", "engine alone, the project's shape (component, instance, placement; providers that do nothing)");
            // The same with upstream's snapshot manager: one save per mutation (tools/go/patches).
            s.engineOursUpstream = await measurePlain(n, "noop-ours", "engine alone, the project's shape, a save per mutation (upstream's loop)", { LIVEMIG_CHECKPOINT_EVERY_MUTATION: "true" });
        }
        if (parts.includes("nova")) s.nova = await measureNova(n);
        const B = `scale ${n} servers`;
        if (s.ours && s.plain) {
            record(B, "pulumi up from nothing: ours / plain", ratio(s.ours.up, s.plain.up));
            record(B, "no-change pulumi up: ours / plain", ratio(s.ours.noChange, s.plain.noChange));
            record(B, "pulumi preview: ours / plain", ratio(s.ours.preview, s.plain.preview));
        }
        if (s.engine && s.engineOurs) record(B, "engine alone, pulumi up from nothing: the project's shape / plain shape", ratio(s.engineOurs.up, s.engine.up));
        if (s.engineOurs && s.engineOursUpstream) record(B, "engine alone, the project's shape, pulumi up from nothing: saves coalesced / a save per mutation", ratio(s.engineOurs.up, s.engineOursUpstream.up));
        all.push({ n, s });
    }
    for (let i = 1; i < all.length; i++) {
        const [a, b] = [all[i - 1]!, all[i]!];
        // Figures are in ms already.
        const per = (x: number, y: number) => `${((y - x) / (b.n - a.n)).toFixed(0)} ms`;
        const grew = (x: number, y: number) => `time ${b.n} / ${a.n}: ${ratio(y, x)}`;
        const B = `growth ${a.n} → ${b.n}`;
        const series: [string, Figures | undefined, Figures | undefined][] = [
            ["ours", a.s.ours, b.s.ours],
            ["plain", a.s.plain, b.s.plain],
            ["engine alone, plain shape", a.s.engine, b.s.engine],
            ["engine alone, the project's shape", a.s.engineOurs, b.s.engineOurs],
            ["engine alone, the project's shape, a save per mutation", a.s.engineOursUpstream, b.s.engineOursUpstream],
        ];
        for (const [name, x, y] of series) {
            if (!x || !y) continue;
            record(B, `${name}: per added server, up from nothing / no-change up / preview`, `${per(x.up, y.up)} / ${per(x.noChange, y.noChange)} / ${per(x.preview, y.preview)}`, `up from nothing: ${grew(x.up, y.up)}`);
            record(B, `${name}: per added server, state`, kib((y.state - x.state) / (b.n - a.n)));
            if (x.move !== undefined && y.move !== undefined) record(B, `${name}: per added server, one move`, per(x.move, y.move));
        }
        if (a.s.nova !== undefined && b.s.nova !== undefined) record(B, "Nova alone: per added server", per(a.s.nova, b.s.nova), grew(a.s.nova, b.s.nova));
    }
}
