// `pulumi preview` of a stack of 200 servers (this project: config validation, Server components with a
// Placement each) against a plain Pulumi program with the same 200 servers as bare resources. (The
// issue's peer, a plain @pulumi/openstack program, cannot run here: its plugin cannot be built; see README.)
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import * as path from "node:path";
import { pulumiCommand, pulumiEnv, repoRoot } from "../support/env";
import { configuredTestStack, labOpenStack } from "../support/lab";
import { ratio, record, secs, timed } from "./support";

const N = 200;

/**
 * Deploys (not the measured step) without intermediate checkpoints: every dynamic resource carries its
 * serialized provider (~120 KB), and the file backend rewrites the whole state after each of the 400
 * steps, which took more than 20 minutes for 200 servers.
 */
async function withoutCheckpoints<T>(fn: () => Promise<T>): Promise<T> {
    process.env.PULUMI_SKIP_CHECKPOINTS = "true";
    try {
        return await fn();
    } finally {
        delete process.env.PULUMI_SKIP_CHECKPOINTS;
    }
}

async function median(fn: () => Promise<unknown>, runs = 3): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push((await timed(fn)).ms);
    return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

export async function benchPreview(): Promise<void> {
    const B = `preview ${N} servers`;
    await labOpenStack("up");
    const servers = Array.from({ length: N }, (_, i) => ({
        name: `bench-pv-${i}`,
        flavor: "m1.tiny",
        image: "cirros-like-raw",
        availabilityZone: "fake",
        placement: { host: i % 2 ? "fake-1" : "fake-2" },
    }));
    const ours = await configuredTestStack("bench-preview", {
        openstack: { cloud: "livemig-lab" },
        computes: ["fake-1", "fake-2", "fake-3"],
        servers,
    });
    const plain = await LocalWorkspace.createOrSelectStack(
        { stackName: `bench-plain-${process.pid}`, workDir: path.join(repoRoot, "test/bench/plain-program") },
        { envVars: pulumiEnv("bench"), pulumiCommand: await pulumiCommand() },
    );
    try {
        await plain.setAllConfig({ count: { value: String(N) }, "livemig-plain:openstack": { value: JSON.stringify({ cloud: "livemig-lab" }) } });
        const deployOurs = await timed(() => withoutCheckpoints(() => ours.stack.up()));
        const stateMiB = JSON.stringify(await ours.stack.exportStack()).length / 2 ** 20;
        record(B, "pulumi up (create, PULUMI_SKIP_CHECKPOINTS) — this project", secs(deployOurs.ms), `${N} servers + ${N} placements; state ${stateMiB.toFixed(1)} MiB`);
        const oursPreview = await median(() => ours.stack.preview());
        record(B, "pulumi preview — this project", secs(oursPreview), "median of 3");
        await withoutCheckpoints(() => ours.stack.destroy());

        const deployPlain = await timed(() => withoutCheckpoints(() => plain.up()));
        const plainMiB = JSON.stringify(await plain.exportStack()).length / 2 ** 20;
        record(B, "pulumi up (create, PULUMI_SKIP_CHECKPOINTS) — plain program", secs(deployPlain.ms), `state ${plainMiB.toFixed(1)} MiB`);
        const plainPreview = await median(() => plain.preview());
        record(B, "pulumi preview — plain program", secs(plainPreview), "median of 3");
        record(B, "preview ours / plain", ratio(oursPreview, plainPreview));
    } finally {
        await withoutCheckpoints(() => ours.stack.destroy()).catch(() => undefined);
        await ours.remove();
        await withoutCheckpoints(() => plain.destroy()).catch(() => undefined);
        await plain.workspace.removeStack(plain.name, { force: true }).catch(() => undefined);
    }
}
