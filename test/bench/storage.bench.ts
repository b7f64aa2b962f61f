// The walkthrough says shared storage makes live migration "much faster" than block migration: measured
// here over the three storage modes, the same guest each time with 512 MiB of real data on its disk
// (written while it is stopped, then booted again): the Gluster store (compute-1 → compute-2), RBD
// instance disks (images_type = rbd, compute-2 → compute-3), and block migration from local disk
// (compute-3 → compute-1). For each: the whole `pulumi up` until the guest ticks on its new host, Nova's
// migration time, libvirt's downtime, memory and disk data copied. Then the lab's memory with Ceph up.
import type { Stack } from "@pulumi/pulumi/automation";
import { NovaClient, OpenStackSession, loadCloud, waitForServerStatus } from "../../lib/openstack";
import { lastTick, readConsole, ticking } from "../support/guest";
import { labGuest, labHosts, labOpenStack, labTestStack, mustOnHost, setStackConfig } from "../support/lab";
import { controlPlane, figures, pssMiB, verified, type MoveFigures } from "./guests.bench";
import { ratio, record, secs, timed } from "./support";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../support/env";

const B = "storage modes (512 MiB written on the disk)";
const DATA = "write -P 0x5a 256M 512M"; // qemu-io: a pattern (not zeros, which would stay sparse), past the guest's own sector

type Placements = Record<string, string>;
const server = (name: string, host: string) => ({ name, flavor: "m1.tiny", image: "livemig-guest", availabilityZone: "nova", placement: { host } });
const key = () => readFileSync(path.join(repoRoot, "lab/ceph/client.cinder.key"), "utf8").trim();
const secretUuid = () => readFileSync(path.join(repoRoot, "lab/ceph/libvirt-secret.uuid"), "utf8").trim();

async function configure(stack: Stack, placements: Placements, rbdDisks: string[], store: string[]): Promise<void> {
    await setStackConfig(
        stack,
        {
            instanceStore: { server: "n1", computes: store },
            ceph: { monitors: ["10.77.0.1"], key: key(), secretUuid: secretUuid(), ...(rbdDisks.length ? { instanceDisks: { pool: "vms", computes: rbdDisks } } : {}) },
            servers: Object.entries(placements).map(([name, host]) => server(name, host)),
        },
        ["ceph"],
    );
}

/** Stops the server, writes the data onto its disk from its host (a file or an RBD image), starts it again. */
async function fill(nova: NovaClient, id: string, host: string, rbd: boolean): Promise<void> {
    await nova.powerServer(id, false);
    await waitForServerStatus(nova, id, { status: "SHUTOFF", timeoutMs: 120_000 });
    const disk = rbd ? `rbd:vms/${id}_disk:id=cinder:conf=/etc/ceph/ceph.conf` : `/var/lib/nova/instances/${id}/disk`;
    await mustOnHost(host, `qemu-io ${rbd ? "-f raw" : "-f qcow2"} '${disk}' -c '${DATA}' >/dev/null`);
    await nova.powerServer(id, true);
    await waitForServerStatus(nova, id, { status: "ACTIVE", timeoutMs: 120_000 });
    await ticking(nova, id, 2, 180_000);
}

async function move(stack: Stack, nova: NovaClient, id: string, target: string, apply: () => Promise<void>): Promise<{ ms: number; f: MoveFigures }> {
    const tick = lastTick(await readConsole(nova, id)).tick;
    await apply();
    const t = await timed(async () => {
        await stack.up();
        await verified(nova, id, target, tick);
    });
    return { ms: t.ms, f: await figures(nova, id, target) };
}

function recordMove(what: string, m: { ms: number; f: MoveFigures }) {
    const f = m.f;
    record(
        B,
        what,
        secs(m.ms),
        `Nova ${f.novaSeconds.toFixed(0)} s; libvirt ${f.libvirtMs ?? "?"} ms, downtime ${f.downtimeMs ?? "?"} ms, memory ${f.memoryMiB?.toFixed(0) ?? "?"} MiB, disk ${f.diskMiB?.toFixed(0) ?? "0"} MiB`,
    );
}

export async function benchStorage(): Promise<void> {
    await labOpenStack("up");
    await labGuest("register");
    await labHosts("down");
    await labHosts("up");
    const nova = new NovaClient(new OpenStackSession(loadCloud({ cloud: "livemig-lab" })));
    const { stack, remove } = await labTestStack("bench-storage");
    try {
        // Gluster store on compute-1 and compute-2; compute-3 keeps local disks.
        await configure(stack, { "bench-gluster": "compute-1", "bench-local": "compute-3" }, [], ["compute-1", "compute-2"]);
        const ids = (await stack.up()).outputs.serverIds!.value as Record<string, string>;
        await fill(nova, ids["bench-gluster"]!, "compute-1", false);
        await fill(nova, ids["bench-local"]!, "compute-3", false);
        const gluster = await move(stack, nova, ids["bench-gluster"]!, "compute-2", () =>
            configure(stack, { "bench-gluster": "compute-2", "bench-local": "compute-3" }, [], ["compute-1", "compute-2"]),
        );
        recordMove("Gluster store (shared): pulumi up to ticking on the target", gluster);
        const block = await move(stack, nova, ids["bench-local"]!, "compute-1", () =>
            configure(stack, { "bench-gluster": "compute-2", "bench-local": "compute-1" }, [], ["compute-1", "compute-2"]),
        );
        recordMove("local disk (block migration): pulumi up to ticking on the target", block);

        // RBD instance disks on compute-2 and compute-3 (the others go; one storage mode per compute).
        await configure(stack, { "bench-rbd": "compute-2" }, ["compute-2", "compute-3"], ["compute-1"]);
        const rbdId = ((await stack.up()).outputs.serverIds!.value as Record<string, string>)["bench-rbd"]!;
        await fill(nova, rbdId, "compute-2", true);
        const rbd = await move(stack, nova, rbdId, "compute-3", () => configure(stack, { "bench-rbd": "compute-3" }, ["compute-2", "compute-3"], ["compute-1"]));
        recordMove("RBD images (shared through Ceph): pulumi up to ticking on the target", rbd);

        record(B, "Nova's time, block / Gluster", ratio(block.f.novaSeconds, gluster.f.novaSeconds));
        record(B, "Nova's time, block / RBD", ratio(block.f.novaSeconds, rbd.f.novaSeconds));
        record(B, "pulumi up, block / Gluster / RBD", `${secs(block.ms)} / ${secs(gluster.ms)} / ${secs(rbd.ms)}`);
        const ceph = pssMiB((p) => /openstack\/ceph\//.test(readFileSync(`/proc/${p}/cmdline`, "utf8")));
        record(B, "lab memory (PSS) of Ceph (mon, mgr, one OSD)", `${ceph.toFixed(0)} MiB`, `whole control plane with it: ${pssMiB(controlPlane).toFixed(0)} MiB`);
    } finally {
        await stack.destroy().catch(() => undefined);
        await remove();
    }
}
