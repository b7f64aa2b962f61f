// Ceph RBD as the third storage mode, with real guests: a server booted from a bootable RBD volume
// (Cinder's RBD backend, the guest image copied in by Cinder) and a server whose instance disk is an RBD
// image (nova's images_type = rbd on compute-2 and compute-3), both live-migrated and evacuated; and
// pre-flight catching a wrong key and an unknown pool before any move. compute-1 keeps the Gluster store.
import type { Stack } from "@pulumi/pulumi/automation";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { NovaClient, OpenStackSession, loadCloud, serverHost } from "../../lib/openstack";
import { computeService } from "../../lib/moves/service";
import { repoRoot } from "../support/env";
import { assertNoReboot, clearStrandedGuests, lastTick, restoreComputeServices, ticking } from "../support/guest";
import { labHosts, labHostsForTest, openLabStack, mustOnHost, onHost, runningCopies, setStackConfig, waitFor } from "../support/lab";

const COMPUTES = ["compute-1", "compute-2", "compute-3"];
const VOL_VM = "vm-boot-from-vol"; // its disk: a Cinder RBD volume
const RBD_VM = "vm-rbd-disk"; // its disk: an RBD image in the pool vms (images_type = rbd)
const LAB_KEY = readFileSync(path.join(repoRoot, "lab/ceph/client.cinder.key"), "utf8").trim();
const SECRET_UUID = readFileSync(path.join(repoRoot, "lab/ceph/libvirt-secret.uuid"), "utf8").trim();

describe("Ceph RBD: volume-backed and RBD-disk guests, moved live and evacuated", () => {
    let stack: Stack;
    const nova = new NovaClient(new OpenStackSession(loadCloud({ cloud: "livemig-lab" })));
    const ids: Record<string, string> = {};
    const ceph = (over: Record<string, unknown> = {}) => ({ monitors: ["10.77.0.1"], key: LAB_KEY, secretUuid: SECRET_UUID, instanceDisks: { pool: "vms", computes: ["compute-2", "compute-3"] }, ...over });
    const servers = (vol: Record<string, unknown>, rbd: Record<string, unknown>) => [
        { name: VOL_VM, flavor: "m1.tiny", bootVolume: { size: 1, image: "livemig-guest" }, availabilityZone: "nova", placement: vol },
        { name: RBD_VM, flavor: "m1.tiny", image: "livemig-guest", availabilityZone: "nova", placement: rbd },
    ];
    async function configure(vol: Record<string, unknown>, rbd: Record<string, unknown>, over: { ceph?: Record<string, unknown>; evacuations?: unknown[] } = {}) {
        await setStackConfig(
            stack,
            { instanceStore: { server: "n1", computes: ["compute-1"] }, ceph: ceph(over.ceph), servers: servers(vol, rbd), evacuations: over.evacuations ?? [] },
            ["ceph"],
        );
    }
    const hostOf = async (name: string) => serverHost((await nova.getServer(ids[name]!))!);
    const copies = async (id: string) => Object.values(await runningCopies(id, COMPUTES)).reduce((a, b) => a + b, 0);
    /** The guest's root disk as libvirt on its host opens it: "rbd volumes/volume-…" or "rbd vms/…_disk". */
    async function rootDisk(name: string): Promise<string> {
        const host = (await hostOf(name))!;
        const xml = await mustOnHost(host, `virsh dumpxml ${ids[name]}`);
        const disk = /<disk type='network' device='disk'>[\s\S]*?<source protocol='(\w+)' name='([^']+)'/.exec(xml);
        return disk ? `${disk[1]} ${disk[2]}` : "not a network disk";
    }

    beforeAll(async () => {
        await labHostsForTest(COMPUTES);
        stack = await openLabStack(inject("laneStack"));
        await configure({ host: "compute-1" }, { host: "compute-2" });
        await setStackConfig(stack, { servers: [] });
        await stack.up();
        await restoreComputeServices(nova, COMPUTES);
    });

    afterAll(async () => {
        for (const host of COMPUTES) await labHosts("start", host).catch(() => undefined);
        // The lane's next file converges what this one leaves (its servers); the lane's end destroys the stack.
        await restoreComputeServices(nova, COMPUTES).catch(() => undefined);
    });

    it("boots a real guest from a bootable RBD volume, and one whose disk is an RBD image", async () => {
        await configure({ host: "compute-1" }, { host: "compute-2" });
        const up = await stack.up();
        Object.assign(ids, up.outputs.serverIds?.value);
        await clearStrandedGuests(nova, COMPUTES, Object.values(ids));
        for (const name of [VOL_VM, RBD_VM]) await ticking(nova, ids[name]!, 2);
        expect(await rootDisk(VOL_VM)).toMatch(/^rbd volumes\/volume-[0-9a-f-]{36}$/);
        expect(await rootDisk(RBD_VM)).toBe(`rbd vms/${ids[RBD_VM]}_disk`);
        // The computes' side of it, as the stack wrote it: the libvirt secret, nova's RBD settings.
        expect(await mustOnHost("compute-2", "grep -E '^(images_type|images_rbd_pool|rbd_user|rbd_secret_uuid) ' /etc/nova/nova.conf | sort")).toBe(
            `images_rbd_pool = vms\nimages_type = rbd\nrbd_secret_uuid = ${SECRET_UUID}\nrbd_user = cinder`,
        );
        expect(await mustOnHost("compute-1", "grep -c '^images_type' /etc/nova/nova.conf || true")).toBe("0");
        expect(await mustOnHost("compute-3", `virsh secret-list | grep -c ${SECRET_UUID}`)).toBe("1");
        await stack.preview({ expectNoChanges: true, refresh: true });
    });

    it("live-migrates the volume-backed guest: the same volume, ticking on, no reboot", async () => {
        const disk = await rootDisk(VOL_VM);
        const before = lastTick(await ticking(nova, ids[VOL_VM]!, 1)).tick;
        await configure({ host: "compute-3" }, { host: "compute-2" });
        const up = await stack.up();
        expect(up.summary.resourceChanges?.update).toBe(1);
        expect(await hostOf(VOL_VM)).toBe("compute-3");
        assertNoReboot(await ticking(nova, ids[VOL_VM]!, before), VOL_VM);
        expect(await rootDisk(VOL_VM)).toBe(disk);
    });

    it("live-migrates the RBD-disk guest as shared storage: no block migration, the same image", async () => {
        const before = lastTick(await ticking(nova, ids[RBD_VM]!, 1)).tick;
        const since = new Date(Date.now() - 1000).toISOString();
        await configure({ host: "compute-3" }, { host: "compute-3" });
        await stack.up();
        expect(await hostOf(RBD_VM)).toBe("compute-3");
        assertNoReboot(await ticking(nova, ids[RBD_VM]!, before), RBD_VM);
        expect(await rootDisk(RBD_VM)).toBe(`rbd vms/${ids[RBD_VM]}_disk`);
        // Nova chose a shared-storage migration (block_migration: "auto"): nothing was copied to a local disk.
        const migration = (await nova.listMigrations({ instanceUuid: ids[RBD_VM]!, migrationType: "live-migration", changesSince: since }))[0];
        expect(migration?.status).toBe("completed");
        expect((await mustOnHost("compute-3", `ls /var/lib/nova/instances/${ids[RBD_VM]}`)).split("\n")).not.toContain("disk");
    });

    it("pre-flight stops a move whose destination has a wrong key, or no such pool, before anything moves", async () => {
        // A key Ceph does not know, deployed to the computes (as a mistyped rotation would), then a move.
        const wrong = "AQBhlg9rCyEWMxAAPhFpKLk4iU7O2ZS93nUJIg=="; // well-formed, unknown to the cluster
        await configure({ host: "compute-3" }, { host: "compute-3" }, { ceph: { key: wrong } });
        await stack.up();
        await configure({ host: "compute-2" }, { host: "compute-3" }, { ceph: { key: wrong } });
        let err = await stack.preview().then(() => "", (e: Error) => String(e));
        expect(err).toMatch(new RegExp(`pre-flight of ${VOL_VM}'s move compute-3 → compute-2: compute-2 cannot use the Ceph pool volumes as client.cinder: the cluster refused the key`));
        expect(await hostOf(VOL_VM)).toBe("compute-3");
        // The right key again, and a pool that does not exist for the RBD disks.
        await configure({ host: "compute-3" }, { host: "compute-3" }, { ceph: { instanceDisks: { pool: "nope", computes: ["compute-2", "compute-3"] } } });
        await stack.up();
        await configure({ host: "compute-3" }, { host: "compute-2" }, { ceph: { instanceDisks: { pool: "nope", computes: ["compute-2", "compute-3"] } } });
        err = await stack.preview().then(() => "", (e: Error) => String(e));
        expect(err).toMatch(new RegExp(`pre-flight of ${RBD_VM}'s move compute-3 → compute-2: compute-2 cannot use the Ceph pool nope as client.cinder: the pool nope does not exist \\(rbd: `));
        expect(await hostOf(RBD_VM)).toBe("compute-3");
        await configure({ host: "compute-3" }, { host: "compute-3" });
        await stack.up();
    });

    it("evacuates both from a dead compute-3 (fenced): each boots from its own disk, its last tick found", async () => {
        const ticks: Record<string, number> = {};
        for (const name of [VOL_VM, RBD_VM]) ticks[name] = lastTick(await ticking(nova, ids[name]!, 1)).tick;
        await labHosts("kill", "compute-3"); // power loss: both guests die with it
        await configure({ notOn: ["compute-3"] }, { notOn: ["compute-3"] }, { evacuations: [{ host: "compute-3", fenced: true, target: "compute-2" }] });
        expect((await stack.up()).summary.result).toBe("succeeded");
        for (const name of [VOL_VM, RBD_VM]) {
            expect(await hostOf(name)).toBe("compute-2");
            const after = await ticking(nova, ids[name]!, -1, 180_000);
            expect(after.boots.length).toBeGreaterThan(0); // rebuilt and booted on compute-2…
            expect(after.previousTick).toBeGreaterThanOrEqual(ticks[name]!); // …from the same RBD disk
            expect(await copies(ids[name]!)).toBe(1);
        }
        // compute-3 is repaired: its nova-compute cleans up, and removing the evacuation unforces it.
        await labHosts("start", "compute-3");
        // Nova reports a forced-down service down whatever its heartbeat: wait for the process itself.
        await waitFor("nova-compute to run on compute-3", async () => (await onHost("compute-3", "systemctl is-active nova-compute")).code === 0, 180_000, 2000);
        await configure({ notOn: ["compute-3"] }, { notOn: ["compute-3"] });
        await stack.up();
        expect((await computeService(nova, "compute-3")).forced_down).toBe(false);
    });
});
