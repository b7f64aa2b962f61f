// Issue 5's figures: the walkthrough's moves of real guests (libvirt/QEMU inside the lab's computes).
// Each move through `pulumi up` (a placement change) next to the same kind of move by the operator's own
// tool in the same run (`openstack server migrate --live-migration --host --wait`), alternating, several
// times each and compared by medians; shared storage beside block migration, with Nova's migration
// duration and libvirt's own job figures from the target (`virsh domjobinfo --completed`: downtime,
// memory transferred). Then the lab's memory footprint.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import type { Stack } from "@pulumi/pulumi/automation";
import { NovaClient, OpenStackSession, loadCloud, serverHost, waitFor, type Server } from "../../lib/openstack";
import { assertNoReboot, lastTick, readConsole, ticking } from "../support/guest";
import { labGuest, labHosts, labOpenStack, labTestStack, mustOnHost, openstackRun, setStackConfig } from "../support/lab";
import { median, ratio, record, secs, timed } from "./support";

const B = "real guests";
const VM = "vm-live-migration"; // instances on the Gluster store (compute-1/2)
const BLOCK_VM = "vm-block-migration"; // instances on compute-3's local disk

const servers = (shared: string, block: string) => [
    { name: VM, flavor: "m1.tiny", image: "livemig-guest", availabilityZone: "nova", placement: { host: shared } },
    { name: BLOCK_VM, flavor: "m1.tiny", image: "livemig-guest", availabilityZone: "nova", placement: { host: block } },
];

export interface MoveFigures {
    novaSeconds: number;
    downtimeMs?: number;
    memoryMiB?: number;
    /** Disk data copied (block migration), as libvirt counts it. */
    diskMiB?: number;
    libvirtMs?: number;
}

/** Nova's record of the server's latest live migration, and libvirt's job figures on the target. */
export async function figures(nova: NovaClient, id: string, target: string): Promise<MoveFigures> {
    const [m] = await nova.listMigrations({ instanceUuid: id, migrationType: "live-migration" });
    if (!m || m.status !== "completed" || m.dest_compute !== target) throw new Error(`no completed live migration of ${id} to ${target}: ${JSON.stringify(m)}`);
    const novaSeconds = (Date.parse(`${m.updated_at}Z`) - Date.parse(`${m.created_at}Z`)) / 1000;
    const server = (await nova.getServer(id)) as Server;
    const domain = String(server["OS-EXT-SRV-ATTR:instance_name"]);
    const info = await mustOnHost(target, `virsh domjobinfo --completed --keep-completed '${domain}'`);
    const num = (label: string) => {
        const m = new RegExp(`^${label}:\\s+([\\d.]+)`, "m").exec(info);
        return m ? Number(m[1]) : undefined;
    };
    return { novaSeconds, downtimeMs: num("Total downtime"), memoryMiB: num("Memory processed"), diskMiB: num("File processed") ?? num("Disk processed"), libvirtMs: num("Time elapsed") };
}

/**
 * The same "done" for both sides: the guest is ACTIVE on `host` with no task, Nova's migration record
 * is completed (the host changes a moment before that), and the guest ticks past `tick` there.
 */
export async function verified(nova: NovaClient, id: string, host: string, tick: number): Promise<void> {
    await waitFor(
        `${id} ACTIVE on ${host}`,
        () => nova.getServer(id),
        (s) => !!s && s.status === "ACTIVE" && !s["OS-EXT-STS:task_state"] && serverHost(s) === host,
        { timeoutMs: 600_000, intervalMs: 500, maxIntervalMs: 1000 },
    );
    await waitFor(
        `${id}'s live migration to ${host} to be completed`,
        () => nova.listMigrations({ instanceUuid: id, migrationType: "live-migration" }),
        ([m]) => !!m && m.dest_compute === host && m.status === "completed",
        { timeoutMs: 120_000, intervalMs: 500, maxIntervalMs: 1000 },
    );
    assertNoReboot(await ticking(nova, id, tick, 120_000), `${id} on ${host}`);
}

/**
 * Each side is timed until it says it is done — `pulumi up` returns once Nova's record is completed and the
 * host changed; openstackclient's `--wait` once the server is ACTIVE again — and then checked the same way,
 * untimed: ACTIVE on the target, the record completed, the guest ticking on with no reboot.
 */
async function oursMove(stack: Stack, nova: NovaClient, id: string, target: string, placements: ReturnType<typeof servers>) {
    const tick = lastTick(await readConsole(nova, id)).tick;
    await setStackConfig(stack, { servers: placements });
    const t = await timed(() => stack.up());
    await verified(nova, id, target, tick);
    return { ms: t.ms, figures: await figures(nova, id, target), placementMs: await lastMoveMs(stack, id) };
}

/** The Placement's own time for its last move (request to Nova's confirmation), from the state. */
async function lastMoveMs(stack: Stack, id: string): Promise<number> {
    const deployment = (await stack.exportStack()).deployment as { resources: { type: string; outputs?: { serverId?: string; lastMove?: { durationMs: number } } }[] };
    const p = deployment.resources.find((r) => r.type.endsWith(":Placement") && r.outputs?.serverId === id);
    if (!p?.outputs?.lastMove) throw new Error(`no Placement of ${id} with a last move in the state`);
    return p.outputs.lastMove.durationMs;
}

async function peerMove(nova: NovaClient, id: string, target: string, block: boolean) {
    const tick = lastTick(await readConsole(nova, id)).tick;
    const t = await timed(() =>
        openstackRun("--os-compute-api-version", "2.30", "server", "migrate", "--live-migration", "--host", target, block ? "--block-migration" : "--shared-migration", "--wait", id),
    );
    await verified(nova, id, target, tick);
    return { ms: t.ms, figures: await figures(nova, id, target) };
}

/** What one pre-flight costs (a pair of real computes, nothing reused), as `pulumi up` pays it before a move. */
async function preflightCost(): Promise<void> {
    const { preflight } = await import("../../lib/moves/preflight");
    const host = (name: string, address: string) => ({ name, address, port: 22, user: "root" });
    const creds = { privateKey: readFileSync("/var/lib/livemig-lab/ssh/id_ed25519", "utf8"), knownHosts: readFileSync("/var/lib/livemig-lab/ssh/known_hosts", "utf8") };
    const plan = {
        source: host("compute-1", "10.77.0.11"),
        destination: host("compute-2", "10.77.0.12"),
        transport: "tls" as const,
        instancesPath: "/var/lib/nova/instances",
        blockMigration: "auto" as const,
        sharedStore: ["compute-1", "compute-2"],
        permitPostCopy: false,
        novaConf: "/etc/nova/nova.conf",
    };
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
        // Outside a pulumi CLI run nothing is reused: each run is a full check.
        const t = await timed(() => preflight(creds, plan));
        if (t.result.length) throw new Error(`pre-flight failed: ${t.result.join("; ")}`);
        runs.push(t.ms);
    }
    record(B, "pre-flight of one move (2 SSH connections, one script on each side)", `${runs.map((ms) => (ms / 1000).toFixed(2)).join(" / ")} s`, "three runs, compute-1 → compute-2");
}

/** Proportional set size (MiB) summed over the processes `wanted` picks (by PID). */
export function pssMiB(wanted: (pid: string) => boolean): number {
    let kib = 0;
    for (const p of readdirSync("/proc")) {
        if (!/^\d+$/.test(p)) continue;
        try {
            if (!wanted(p)) continue;
            const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, "utf8"));
            kib += m ? Number(m[1]) : 0;
        } catch {
            // the process ended meanwhile
        }
    }
    return kib / 1024;
}

/** Every process in the PID namespace of `pid` (a lab host's PID 1). */
export const inNamespaceOf = (pid: number) => {
    const ns = readlinkSync(`/proc/${pid}/ns/pid`);
    return (p: string) => readlinkSync(`/proc/${p}/ns/pid`) === ns;
};

/** The control plane: every process whose command line names its state directory or infrastructure. */
export const controlPlane = (p: string) => /livemig-lab\/openstack|rabbitmq|epmd|mariadbd/.test(readFileSync(`/proc/${p}/cmdline`, "utf8"));

async function footprint(): Promise<void> {
    const hosts = ["compute-1", "compute-2", "compute-3", "n1", "n2", "n3", "n4"];
    const perHost: string[] = [];
    let total = 0;
    for (const h of hosts) {
        const mib = pssMiB(inNamespaceOf(Number((await labHosts("pid", h)).trim())));
        perHost.push(`${h} ${mib.toFixed(0)}`);
        total += mib;
    }
    const cp = pssMiB(controlPlane);
    record(B, "lab memory (PSS) with the walkthrough's 2 VMs running", `${((total + cp) / 1024).toFixed(2)} GiB`, `control plane ${cp.toFixed(0)} MiB; hosts (MiB): ${perHost.join(", ")}`);
}

const ROUNDS = 3;

interface Sample {
    ms: number;
    figures: MoveFigures;
    /** Ours only: the Placement's own move, the rest is the engine's and the other resources'. */
    placementMs?: number;
}

/**
 * ROUNDS moves each, ours (a placement change and `pulumi up`) and the peer's, between the two `hosts`,
 * starting on the first: ours, peer, peer, ours, ours, peer… so that each side moves in both directions,
 * and ours only runs when the stack's state knows where the guest is (after ours, or after the peer moved
 * it back to where ours left it).
 */
async function alternating(stack: Stack, nova: NovaClient, id: string, hosts: [string, string], placements: (host: string) => ReturnType<typeof servers>, block: boolean) {
    const ours: Sample[] = [];
    const peer: Sample[] = [];
    let at = 0;
    for (let i = 0; i < 2 * ROUNDS; i++) {
        const target = hosts[1 - at]!;
        if (i % 4 === 0 || i % 4 === 3) ours.push(await oursMove(stack, nova, id, target, placements(target)));
        else peer.push(await peerMove(nova, id, target, block));
        at = 1 - at;
    }
    return { ours, peer };
}

function report(kind: string, r: { ours: Sample[]; peer: Sample[] }, peerTool: string, note?: string): void {
    const list = (xs: Sample[]) => xs.map((m) => (m.ms / 1000).toFixed(1)).join(" / ");
    const figures = (xs: Sample[]) =>
        `Nova's migration ${xs.map((m) => m.figures.novaSeconds.toFixed(0)).join("/")} s; libvirt ${xs.map((m) => m.figures.libvirtMs ?? "?").join("/")} ms; ` +
        `downtime ${xs.map((m) => m.figures.downtimeMs ?? "?").join("/")} ms; memory ${xs[0]?.figures.memoryMiB?.toFixed(1) ?? "?"} MiB`;
    const ours = median(r.ours.map((m) => m.ms));
    const peer = median(r.peer.map((m) => m.ms));
    const placement = median(r.ours.map((m) => m.placementMs!));
    record(B, `${kind}, pulumi up to verified (${ROUNDS} moves, median)`, secs(ours), `${list(r.ours)} s; ${figures(r.ours)}`);
    record(B, `${kind}: the Placement's move / the rest of pulumi up (medians)`, `${secs(placement)} / ${secs(median(r.ours.map((m) => m.ms - m.placementMs!)))}`, "the rest: CLI and program start, the lab stack's other resources, pre-flight, checkpoints");
    record(B, `${kind}, peer: ${peerTool} (${ROUNDS} moves, median)`, secs(peer), `${list(r.peer)} s; ${figures(r.peer)}`);
    record(B, `${kind}: time ours / peer (medians)`, ratio(ours, peer), note);
}

export async function benchGuests(): Promise<void> {
    await labOpenStack("up");
    await labGuest("register");
    const nova = new NovaClient(new OpenStackSession(loadCloud({ cloud: "livemig-lab" })));
    const { stack, remove } = await labTestStack("bench-guests");
    try {
        await setStackConfig(stack, { servers: servers("compute-1", "compute-3") });
        const boot = await stack.up();
        const ids = boot.outputs.serverIds?.value as Record<string, string>;
        const vm = ids[VM]!;
        const blockVm = ids[BLOCK_VM]!;
        await ticking(nova, vm, 2);
        await ticking(nova, blockVm, 2);
        await footprint();
        await preflightCost();

        // Each kind of move several times, ours and the peer's alternating in both directions (a single
        // move's time varies by 2× here from one move to the next), compared by their medians.
        const shared = await alternating(stack, nova, vm, ["compute-1", "compute-2"], (host) => servers(host, "compute-3"), false);
        report("shared storage", shared, "openstack server migrate --live-migration --wait");
        const disk = await mustOnHost("compute-3", `du -k /var/lib/nova/instances/${blockVm}/disk | cut -f1`);
        const block = await alternating(stack, nova, blockVm, ["compute-3", "compute-1"], (host) => servers("compute-1", host), true);
        report("block migration", block, "the same with --block-migration", `disk copied: ${(Number(disk) / 1024).toFixed(1)} MiB allocated`);
        record(B, "Nova's migration time, block / shared (ours, medians)", ratio(median(block.ours.map((m) => m.figures.novaSeconds)), median(shared.ours.map((m) => m.figures.novaSeconds))));
    } finally {
        await stack.destroy().catch(() => undefined);
        await remove();
    }
}
