// Issue 4's figures, each side by side with the tool an operator would otherwise use, in the same run:
//  - drain of a host with 20 servers: HostMaintenance via `pulumi up` vs `nova host-evacuate-live` + polling;
//  - evacuation of 10 servers off a host that is still powered (its BMC must power it off first):
//    Evacuation with the host's fence device via `pulumi up` vs `fence_ipmilan -o off` (the same BMC) +
//    force-down + `nova host-evacuate` + polling; several runs each, alternating, compared by medians.
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { NovaClient, OpenStackSession, loadCloud, serverHost, waitFor, type Server } from "../../lib/openstack";
import { recoverHost } from "../../lib/moves/evacuate";
import { computeService } from "../../lib/moves/service";
import { runFenceAgent, type FenceDevice } from "../../lib/fencing/agent";
import { bootFakeServers, fakeStackConfig } from "../support/fakes";
import { configuredTestStack, labBmc, labFenceDevice, labOpenStack, setStackConfig } from "../support/lab";
import { median, ratio, record, secs, sh, timed } from "./support";

const CLOUD = "livemig-lab";

function clients() {
    const session = new OpenStackSession(loadCloud({ cloud: CLOUD }));
    return { session, nova: new NovaClient(session) };
}

/** Moves servers onto `host` again between the two sides of a benchmark (not timed). */
async function putBack(nova: NovaClient, ids: string[], host: string): Promise<void> {
    const { liveMigrateAndWait } = await import("../../lib/openstack");
    await Promise.all(ids.map((id) => liveMigrateAndWait(nova, id, { host, timeoutMs: 600_000, onTimeout: "abort" })));
}

/** Polls (like an operator's script would) until every server is ACTIVE, idle, and off `host`. */
async function pollUntilOff(nova: NovaClient, ids: string[], host: string): Promise<void> {
    await waitFor(
        `${ids.length} servers to be ACTIVE off ${host}`,
        () => Promise.all(ids.map((id) => nova.getServer(id))),
        (ss) => ss.every((s?: Server) => s && s.status === "ACTIVE" && !s["OS-EXT-STS:task_state"] && serverHost(s) !== host),
        { timeoutMs: 1_800_000, intervalMs: 1000, maxIntervalMs: 2000 },
    );
}

/** novaclient has no --os-cloud: hand it the lab cloud as OS_* variables (in its environment only). */
function novaEnv(): Record<string, string> {
    const { auth } = loadCloud({ cloud: CLOUD });
    const env: Record<string, string | undefined> = {
        OS_AUTH_URL: auth.authUrl,
        OS_USERNAME: auth.username,
        OS_PASSWORD: auth.password,
        OS_PROJECT_NAME: auth.projectName,
        OS_USER_DOMAIN_NAME: auth.userDomainName ?? "Default",
        OS_PROJECT_DOMAIN_NAME: auth.projectDomainName ?? "Default",
    };
    return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

async function novaCli(args: string[]): Promise<{ out: string; requests: number }> {
    // --debug prints every request (to count them); on failure show only the ERROR lines, never the log.
    const out = await sh("nova", ["--os-compute-api-version", "2.30", "--debug", ...args], novaEnv()).catch((e: Error) => {
        throw new Error(`nova ${args.join(" ")} failed: ${e.message.split("\n").filter((l) => l.startsWith("ERROR")).join("; ")}`);
    });
    return { out, requests: (out.match(/REQ: curl/g) ?? []).length };
}

export async function benchDrain(): Promise<void> {
    const B = "drain 20";
    await labOpenStack("up");
    const { nova, session } = clients();
    const ids = await bootFakeServers(nova, "fake-3", 20, "bench-drain", { timeoutMs: 300_000 });
    const { stack, remove } = await configuredTestStack("bench-drain", fakeStackConfig({ timeoutSeconds: 600, maintenance: [{ host: "fake-3", concurrency: 4 }] }));
    try {
        const ours = await timed(() => stack.up());
        await pollUntilOff(nova, ids, "fake-3");
        const report = ours.result.outputs.maintenance?.value?.["fake-3"] as { apiRequests: number; moves: unknown[] };
        record(B, "HostMaintenance (pulumi up, concurrency 4)", secs(ours.ms), `${report.moves.length} moves, ${report.apiRequests} API requests`);

        // The peer on the same servers: back onto fake-3 (enabled again), then nova's own command.
        await stack.destroy(); // re-enables fake-3
        await putBack(nova, ids, "fake-3");
        const before = session.stats.requests;
        const peer = await timed(async () => {
            const cli = await novaCli(["host-evacuate-live", "fake-3"]);
            await pollUntilOff(nova, ids, "fake-3");
            return cli;
        });
        const requests = peer.result.requests + (session.stats.requests - before);
        record(B, "peer: nova host-evacuate-live + polling", secs(peer.ms), `${requests} API requests (${peer.result.requests} by novaclient)`);
        record(B, "time ours / peer", ratio(ours.ms, peer.ms));
        record(B, "API requests ours / peer", ratio(report.apiRequests, requests));
    } finally {
        await remove();
        for (const id of ids) await nova.deleteServer(id).catch(() => undefined);
    }
}

const EVACUATION_ROUNDS = 3;

export async function benchEvacuation(): Promise<void> {
    const B = "evacuate 10";
    await labOpenStack("up");
    await labBmc("up");
    const { nova, session } = clients();
    const ids = await bootFakeServers(nova, "fake-2", 10, "bench-evac", { timeoutMs: 300_000 });
    const device = await labFenceDevice("fake-2");
    const { stack, remove } = await configuredTestStack("bench-evac", fakeStackConfig({ timeoutSeconds: 600 }));
    await setStackConfig(stack, { fenceDevices: [device], evacuations: [{ host: "fake-2", reboot: false, concurrency: 10 }] }, ["fenceDevices"]);
    // The host failed for Nova's purposes, but its power is on: both sides must fence it through its BMC.
    const powerOn = () => labOpenStack("start", "nova-compute@fake-2");
    const ours = async () => {
        // The Evacuation's own step, from the engine's events: the rest of the up is the engine's fixed cost.
        // And the engine's summary: where the CLI's own `pulumi up` ends; the Automation API's up() then reads
        // the stack's outputs and history (three more CLI runs).
        let began = 0;
        let ended = 0;
        let summary = 0;
        const onEvent = (e: EngineEvent) => {
            if (e.resourcePreEvent?.metadata.type.endsWith(":Evacuation")) began ||= performance.now();
            if (e.resOutputsEvent?.metadata.type.endsWith(":Evacuation")) ended = performance.now();
            if (e.summaryEvent) summary = performance.now();
        };
        const start = performance.now();
        const up = await timed(() => stack.up({ onEvent }));
        await pollUntilOff(nova, ids, "fake-2");
        const report = up.result.outputs.evacuations?.value?.["fake-2"] as { apiRequests: number; fencing: { durationMs: number } };
        // Back as it was (not timed): powered on, the evacuation removed (which unforces fake-2 once nova-compute
        // completed every evacuation), the servers back.
        await powerOn();
        await stack.destroy();
        await putBack(nova, ids, "fake-2");
        return { ms: up.ms, requests: report.apiRequests, fenceMs: report.fencing.durationMs, stepMs: ended - began, summaryMs: summary - start };
    };
    const peer = async () => {
        const before = session.stats.requests;
        const run = await timed(async () => {
            const fence = await timed(async () => {
                const off = await runFenceAgent(device as unknown as FenceDevice, "off");
                if (off.exitCode !== 0) throw new Error(`fence_ipmilan -o off: ${off.output}`);
            });
            const svc = await computeService(nova, "fake-2");
            await nova.updateComputeService(String(svc.id), { forcedDown: true });
            const cli = await novaCli(["host-evacuate", "fake-2"]);
            await pollUntilOff(nova, ids, "fake-2");
            return { ...cli, fenceMs: fence.ms };
        });
        const requests = run.result.requests + (session.stats.requests - before);
        await powerOn();
        await recoverHost(nova, "fake-2", 600); // once nova-compute completed the evacuations: unforced
        await putBack(nova, ids, "fake-2");
        return { ms: run.ms, requests, fenceMs: run.result.fenceMs };
    };
    try {
        // Alternating, several runs each (one run's time varies with the control plane's load), compared by
        // medians: ours, peer, peer, ours, ours, peer.
        const samples: Record<"ours" | "peer", { ms: number; requests: number; fenceMs: number; stepMs?: number; summaryMs?: number }[]> = { ours: [], peer: [] };
        for (let i = 0; i < 2 * EVACUATION_ROUNDS; i++) {
            if (i % 4 === 0 || i % 4 === 3) samples.ours.push(await ours());
            else samples.peer.push(await peer());
        }
        const list = (xs: { ms: number }[]) => xs.map((x) => (x.ms / 1000).toFixed(1)).join(" / ");
        const figures = (xs: { requests: number; fenceMs: number }[]) => `${median(xs.map((x) => x.requests))} API requests; fencing ${secs(median(xs.map((x) => x.fenceMs)))} (medians)`;
        const [o, p] = [median(samples.ours.map((x) => x.ms)), median(samples.peer.map((x) => x.ms))];
        record(B, `Evacuation (pulumi up: fence through the BMC, then evacuate; to all ACTIVE), ${EVACUATION_ROUNDS} runs, median`, secs(o), `${list(samples.ours)} s; ${figures(samples.ours)}`);
        const step = median(samples.ours.map((x) => x.stepMs!));
        record(B, "the Evacuation's own step / the rest of pulumi up (medians)", `${secs(step)} / ${secs(median(samples.ours.map((x) => x.ms - x.stepMs!)))}`, "the rest: CLI and program start, the provider process, checkpoints, the Automation API's output and history reads");
        record(B, `peer: fence_ipmilan -o off + force-down + nova host-evacuate + polling, ${EVACUATION_ROUNDS} runs, median`, secs(p), `${list(samples.peer)} s; ${figures(samples.peer)}`);
        const summary = median(samples.ours.map((x) => x.summaryMs!));
        record(B, "pulumi up until the engine's summary (where the CLI's own up ends), median", secs(summary), `${ratio(summary, p)} the peer; after it, the Automation API reads the stack's outputs and history`);
        record(B, "time ours / peer (medians)", ratio(o, p), `the Evacuation's own step / peer: ${ratio(step, p)}`);
        record(B, "API requests ours / peer (medians)", ratio(median(samples.ours.map((x) => x.requests)), median(samples.peer.map((x) => x.requests))));
    } finally {
        await powerOn().catch(() => undefined);
        await recoverHost(nova, "fake-2", 600).catch(() => undefined);
        await stack.destroy().catch(() => undefined);
        await remove();
        for (const id of ids) await nova.deleteServer(id).catch(() => undefined);
    }
}
