// Fencing before evacuation, on real guests: the stack evacuates compute-1 only once its power device (the
// lab's emulated BMC, driven by the real fence_ipmilan) has powered it off and reports it off, or when the
// operator declared it fenced. Nova's view of the compute service never decides it: here nova-compute is
// stopped (or the host cut off the network) while the guest goes on running.
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { NovaClient, OpenStackSession, loadCloud, serverHost } from "../../lib/openstack";
import { computeService } from "../../lib/moves/service";
import { lastTick, restoreComputeServices, clearStrandedGuests, ticking } from "../support/guest";
import { labBmc, labFenceDevice, labHostRunning, labHosts, labHostsForTest, openLabStack, mustOnHost, onHost, runningCopies, setStackConfig, waitFor } from "../support/lab";

const VM = "vm-live-migration"; // on the Gluster store
const LOCAL_VM = "vm-block-migration"; // on compute-3's local disk
const COMPUTES = ["compute-1", "compute-2", "compute-3"];

describe("fencing before evacuation (real guests, real fence_ipmilan and fence_redfish against the lab's BMCs)", () => {
    let stack: Stack;
    const nova = new NovaClient(new OpenStackSession(loadCloud({ cloud: "livemig-lab" })));
    let id = "";
    let localId = "";
    // A real guest on the Gluster store: after an evacuation it boots from the same disk, so two running
    // copies would be two QEMUs writing one disk. Another on compute-3's local disk (fenced via Redfish).
    const servers = (placement: Record<string, unknown>, local: Record<string, unknown>) => [
        { name: VM, flavor: "m1.tiny", image: "livemig-guest", availabilityZone: "nova", placement },
        { name: LOCAL_VM, flavor: "m1.tiny", image: "livemig-guest", availabilityZone: "nova", placement: local },
    ];
    let devices: Record<string, unknown>[] = [];
    const configure = (c: { placement: Record<string, unknown>; local?: Record<string, unknown>; evacuations?: unknown[]; fenceDevices?: unknown[] }) =>
        setStackConfig(
            stack,
            { servers: servers(c.placement, c.local ?? { host: "compute-3" }), evacuations: c.evacuations ?? [], fenceDevices: c.fenceDevices ?? devices },
            ["fenceDevices"],
        );

    const hostOf = async (server = id) => serverHost((await nova.getServer(server))!);
    const hostRunning = labHostRunning;
    async function expectAtMostOneCopy(on?: string, server = id) {
        const copies = await runningCopies(server, COMPUTES);
        const total = Object.values(copies).reduce((a, b) => a + b, 0);
        expect(total, JSON.stringify(copies)).toBeLessThanOrEqual(1);
        if (on) expect(copies[on], JSON.stringify(copies)).toBe(1);
    }
    async function evacuationRecords(): Promise<number> {
        return (await nova.listMigrations({ instanceUuid: id, migrationType: "evacuation" })).length;
    }
    /** A fenced host as it was: powered on through its BMC, nova-compute running, its evacuation removed. */
    async function restore(host: string, placement: Record<string, unknown>, local?: Record<string, unknown>) {
        if (!(await hostRunning(host))) await labBmc("power", host, "on");
        await waitFor(`${host} to boot`, () => hostRunning(host), 120_000);
        await waitFor(`nova-compute to run on ${host}`, async () => (await onHost(host, "systemctl is-active nova-compute")).code === 0, 180_000, 2000);
        await configure({ placement, local });
        await stack.up(); // unforces the host once its nova-compute completed the evacuation
        expect((await computeService(nova, host)).forced_down).toBe(false);
        await waitFor(`${host} to be up in Nova`, async () => (await computeService(nova, host)).state === "up", 120_000, 2000);
    }

    beforeAll(async () => {
        await labHostsForTest(COMPUTES);
        await labBmc("up");
        await labBmc("fault", "compute-1", "none");
        stack = await openLabStack(inject("laneStack"));
        devices = [await labFenceDevice("compute-1"), await labFenceDevice("compute-2"), await labFenceDevice("compute-3", "fence_redfish")];
        // The hosts first: an interrupted earlier run may have left computes forced down (see restoreComputeServices).
        await setStackConfig(stack, { servers: [], fenceDevices: devices }, ["fenceDevices"]);
        await stack.up();
        await restoreComputeServices(nova, COMPUTES);
        await configure({ placement: { host: "compute-1" } });
        const up = await stack.up();
        id = up.outputs.serverIds!.value[VM];
        localId = up.outputs.serverIds!.value[LOCAL_VM];
        await clearStrandedGuests(nova, COMPUTES, Object.values(up.outputs.serverIds!.value as Record<string, string>));
        expect(await hostOf()).toBe("compute-1");
        expect(await hostOf(localId)).toBe("compute-3");
        await ticking(nova, id, 1);
    });

    afterAll(async () => {
        await labBmc("fault", "compute-1", "none").catch(() => undefined);
        for (const host of ["compute-1", "compute-3"]) {
            if (!(await hostRunning(host))) await labHosts("start", host).catch(() => undefined);
            await mustOnHost(host, "ip link set eth0 up; systemctl start nova-compute").catch(() => undefined);
        }
        // The lane's next file converges what this one leaves (its servers); the lane's end destroys the stack.
        for (const host of COMPUTES) {
            const svc = await computeService(nova, host).catch(() => undefined);
            if (svc) await nova.updateComputeService(String(svc.id), { status: "enabled", forcedDown: false }).catch(() => undefined);
        }
    });

    // The console goes through nova-compute: read the guest's tick while it runs.
    let tickBeforeFailure = 0;

    it("refuses to evacuate without a fence device or fenced: true, although Nova reports the service down", async () => {
        tickBeforeFailure = lastTick(await ticking(nova, id, 1)).tick;
        await mustOnHost("compute-1", "systemctl stop nova-compute");
        await waitFor("Nova to report compute-1 down", async () => (await computeService(nova, "compute-1")).state === "down", 180_000, 3000);
        const before = await evacuationRecords();
        await configure({ placement: { notOn: ["compute-1"] }, evacuations: [{ host: "compute-1" }], fenceDevices: devices.slice(1) });
        const err = String(await stack.up().then(() => "", (e: Error) => e));
        expect(err).toContain("evacuating compute-1 needs proof that it is off");
        expect(err).toContain("evacuations[0]");
        expect(await hostOf()).toBe("compute-1");
        expect(await evacuationRecords()).toBe(before);
        expect((await computeService(nova, "compute-1")).forced_down).toBe(false);
        await expectAtMostOneCopy("compute-1"); // the guest still runs where it was
    });

    it("stops with the host's name when the fence device refuses the login, and evacuates nothing", async () => {
        const before = await evacuationRecords();
        await configure({ placement: { notOn: ["compute-1"] }, evacuations: [{ host: "compute-1" }], fenceDevices: [{ ...devices[0], password: "wrong-password" }, ...devices.slice(1)] });
        const err = String(await stack.up().then(() => "", (e: Error) => e));
        expect(err).toContain("cannot read the power status of compute-1 from compute-1's fence device (fence_ipmilan at 10.77.0.111)");
        expect(await hostRunning("compute-1")).toBe(true);
        expect(await evacuationRecords()).toBe(before);
        expect((await computeService(nova, "compute-1")).forced_down).toBe(false);
        await expectAtMostOneCopy("compute-1");
    });

    it("stops when the fence device never reports the host off, and evacuates nothing", async () => {
        const before = await evacuationRecords();
        await labBmc("fault", "compute-1", "ignore-off");
        try {
            await configure({ placement: { notOn: ["compute-1"] }, evacuations: [{ host: "compute-1" }], fenceDevices: [{ ...devices[0], timeoutSeconds: 5 }, ...devices.slice(1)] });
            const err = String(await stack.up().then(() => "", (e: Error) => e));
            expect(err).toMatch(/compute-1's fence device \(fence_ipmilan at 10\.77\.0\.111\) still reports compute-1 on .* nothing was evacuated/);
        } finally {
            await labBmc("fault", "compute-1", "none");
        }
        expect(await hostRunning("compute-1")).toBe(true);
        expect(await evacuationRecords()).toBe(before);
        await expectAtMostOneCopy("compute-1");
    });

    it("powers compute-1 off through fence_ipmilan, then evacuates: one copy, booted from the same disk", async () => {
        await configure({ placement: { notOn: ["compute-1"] }, evacuations: [{ host: "compute-1", target: "compute-2" }] });
        const up = await stack.up();
        expect(up.summary.result).toBe("succeeded");
        const report = up.outputs.evacuations!.value["compute-1"];
        expect(report.fencing).toMatchObject({ method: "fence-device", alreadyOff: false });
        expect(await hostRunning("compute-1")).toBe(false); // really powered off: no process of it is left
        expect((await labBmc("power", "compute-1", "status")).trim()).toBe("Chassis Power is off");
        expect(await hostOf()).toBe("compute-2");
        await expectAtMostOneCopy("compute-2");
        const after = await ticking(nova, id, -1, 180_000);
        expect(after.boots.length).toBeGreaterThan(0);
        expect(after.previousTick).toBeGreaterThanOrEqual(tickBeforeFailure);
        await restore("compute-1", { notOn: ["compute-1"] });
        await expectAtMostOneCopy("compute-2"); // the returning host destroyed its stale copy
    });

    // A guest on local disk: it is rebuilt from its image elsewhere. (On the Gluster store, the partitioned
    // host's stale locks kept the target's virtlogd waiting to unlink the console log for 2–7 minutes.)
    it("fences compute-3 cut off the network but still running (fence_redfish), then evacuates: never two copies", async () => {
        await ticking(nova, localId, 1);
        await mustOnHost("compute-3", "ip link set eth0 down");
        await expectAtMostOneCopy("compute-3", localId); // its QEMU still runs, unseen by Nova

        await configure({ placement: { notOn: ["compute-1"] }, local: { notOn: ["compute-3"] }, evacuations: [{ host: "compute-3", target: "compute-2" }] });
        const up = await stack.up();
        expect(up.outputs.evacuations!.value["compute-3"].fencing).toMatchObject({ method: "fence-device", alreadyOff: false });
        expect(await hostRunning("compute-3")).toBe(false);
        expect(await hostOf(localId)).toBe("compute-2");
        await expectAtMostOneCopy("compute-2", localId);
        const after = await ticking(nova, localId, -1, 180_000);
        expect(after.boots.length).toBeGreaterThan(0); // rebuilt from its image
        await restore("compute-3", { notOn: ["compute-1"] }, { notOn: ["compute-3"] }); // boots with its link up again
        await expectAtMostOneCopy("compute-2", localId);
    });

    it("refuses a host declared fenced whose fence device reports it on", async () => {
        const before = await evacuationRecords();
        await configure({ placement: { notOn: ["compute-2"] }, local: { notOn: ["compute-2"] }, evacuations: [{ host: "compute-2", fenced: true }] });
        const err = String(await stack.up().then(() => "", (e: Error) => e));
        expect(err).toContain("refusing to evacuate compute-2: it is declared fenced, but its fence device (fence_ipmilan at 10.77.0.112) reports it powered on");
        expect(await evacuationRecords()).toBe(before);
        expect(await hostOf()).toBe("compute-2");
    });
});
