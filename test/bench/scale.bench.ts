// Fleet scale: the project's engine path at 50, 200 and 500 servers on the fake computes, with normal
// checkpoints (the file backend saves the state after every step, as an operator's `pulumi up` does),
// next to a plain program that declares the same servers as bare resources (no config validation, no
// Server components, no placements). For each size: `pulumi up` from nothing, a no-change `pulumi up`,
// `pulumi preview`, and (ours) a placement change of one server; wall time, state size, and the peak RSS
// of the CLI and of the program. Then the growth per server between sizes.
// Also: the program's start, from the CLI's start to the first resource registration, with the project's
// runtime settings (sucrase, no type check) and with the type-checking ts-node start it had before.
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pulumiCommand, pulumiEnv, repoRoot } from "../support/env";
import { FAKES, fakeServer } from "../support/fakes";
import { configuredTestStack, labOpenStack, setStackConfig } from "../support/lab";
import { peakRss, ratio, record, secs } from "./support";

const SIZES = (process.env.LIVEMIG_BENCH_SIZES ?? "50,200,500").split(",").map(Number);

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

async function measurePlain(n: number): Promise<Figures> {
    const B = `scale ${n} servers`;
    const plain = await LocalWorkspace.createOrSelectStack(
        { stackName: `bench-plain-${n}-${process.pid}`, workDir: path.join(repoRoot, "test/bench/plain-program") },
        { envVars: pulumiEnv("bench"), pulumiCommand: await pulumiCommand() },
    );
    try {
        await plain.setAllConfig({ count: { value: String(n) }, "livemig-plain:openstack": { value: JSON.stringify({ cloud: "livemig-lab" }) } });
        const up = await step(B, "plain: pulumi up from nothing", () => plain.up());
        const state = await stateBytes(plain);
        record(B, "plain: state", mib(state), `${kib(state / n)} per server`);
        const noChange = await step(B, "plain: no-change pulumi up", () => plain.up());
        const preview = await step(B, "plain: pulumi preview", () => plain.preview());
        return { up, noChange, preview, state };
    } finally {
        await plain.destroy().catch(() => undefined);
        await plain.workspace.removeStack(plain.name, { force: true }).catch(() => undefined);
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
    await benchStartup();
    const all: { n: number; ours: Figures; plain: Figures }[] = [];
    for (const n of SIZES) {
        const ours = await measureOurs(n);
        const plain = await measurePlain(n);
        const B = `scale ${n} servers`;
        record(B, "pulumi up from nothing: ours / plain", ratio(ours.up, plain.up));
        record(B, "no-change pulumi up: ours / plain", ratio(ours.noChange, plain.noChange));
        record(B, "pulumi preview: ours / plain", ratio(ours.preview, plain.preview));
        all.push({ n, ours, plain });
    }
    for (let i = 1; i < all.length; i++) {
        const [a, b] = [all[i - 1]!, all[i]!];
        // Figures are in ms already.
        const per = (x: number, y: number) => `${((y - x) / (b.n - a.n)).toFixed(0)} ms`;
        const B = `growth ${a.n} → ${b.n}`;
        record(B, "per added server: up from nothing, ours / plain", `${per(a.ours.up, b.ours.up)} / ${per(a.plain.up, b.plain.up)}`, `time ${b.n} / ${a.n}: ${ratio(b.ours.up, a.ours.up)} ours, ${ratio(b.plain.up, a.plain.up)} plain`);
        record(B, "per added server: no-change up, ours / plain", `${per(a.ours.noChange, b.ours.noChange)} / ${per(a.plain.noChange, b.plain.noChange)}`);
        record(B, "per added server: preview, ours / plain", `${per(a.ours.preview, b.ours.preview)} / ${per(a.plain.preview, b.plain.preview)}`);
        record(B, "per added server: one move", `${per(a.ours.move!, b.ours.move!)}`);
        record(B, "per added server: state, ours / plain", `${kib((b.ours.state - a.ours.state) / (b.n - a.n))} / ${kib((b.plain.state - a.plain.state) / (b.n - a.n))}`);
    }
}
