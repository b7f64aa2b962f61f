// Automatic recovery on real guests, with no manual step: the stack declares a Masakari segment over the
// three computes; Corosync/Pacemaker fence a lost member through its BMC (the real fence_ipmilan /
// fence_redfish) and force its compute service down; Masakari's monitors report it; Masakari evacuates.
// Also: a killed guest is restarted where it was (instance monitor); a killed nova-compute is restarted
// (process monitor) and nothing is evacuated.
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MasakariClient, NovaClient, OpenStackSession, loadCloud, serverHost, taskState } from "../../lib/openstack";
import { computeService } from "../../lib/moves/service";
import { lastTick, restoreComputeServices, restoreSegmentHosts, clearStrandedGuests, ticking } from "../support/guest";
import { labBmc, labHostRunning, labHosts, labHostsForTest, openLabStack, mustOnHost, onHost, runningCopies, setStackConfig, waitFor } from "../support/lab";

const VM = "vm-live-migration"; // on the Gluster store
const LOCAL_VM = "vm-block-migration"; // on compute-3's local disk
const COMPUTES = ["compute-1", "compute-2", "compute-3"];

describe("automatic recovery: Masakari over Corosync/Pacemaker with STONITH through the BMCs (real guests)", () => {
    let stack: Stack;
    const session = new OpenStackSession(loadCloud({ cloud: "livemig-lab" }));
    const nova = new NovaClient(session);
    const masakari = new MasakariClient(session);
    const ids: Record<string, string> = {};
    const servers = (vm: Record<string, unknown>, local: Record<string, unknown>) => [
        { name: VM, flavor: "m1.tiny", image: "livemig-guest", availabilityZone: "nova", placement: vm },
        { name: LOCAL_VM, flavor: "m1.tiny", image: "livemig-guest", availabilityZone: "nova", placement: local },
    ];
    const hostOf = async (name: string) => serverHost((await nova.getServer(ids[name]!))!);
    const hostRunning = labHostRunning;
    const copies = async (id: string) => Object.values(await runningCopies(id, COMPUTES)).reduce((a, b) => a + b, 0);
    /** Until the server is ACTIVE, idle, off `host`: Masakari's evacuation is done. */
    async function recoveredOff(name: string, host: string, timeoutMs = 240_000): Promise<number> {
        const t0 = Date.now();
        await waitFor(
            `${name} to be recovered off ${host}`,
            async () => {
                const s = await nova.getServer(ids[name]!);
                return !!s && s.status === "ACTIVE" && !taskState(s) && serverHost(s) !== host;
            },
            timeoutMs,
            1000,
        );
        return Date.now() - t0;
    }
    /**
     * compute-1 powered off with VM on it, the recovery kept on the Gluster store (compute-3 disabled, else the
     * scheduler may rebuild it from the image on compute-3's local disk): VM ACTIVE on compute-2, one copy,
     * ticking. `thenCheck` runs before compute-1 is brought back (and compute-3 enabled).
     */
    async function killCompute1AndRecover(what: string, thenCheck: () => Promise<void> = async () => undefined): Promise<void> {
        const local = await computeService(nova, "compute-3");
        await nova.updateComputeService(String(local.id), { status: "disabled", disabledReason: "livemig test: recover onto the shared store" });
        await labHosts("kill", "compute-1");
        try {
            const ms = await recoveredOff(VM, "compute-1");
            console.log(`${what} → ${VM} ACTIVE on ${await hostOf(VM)} after ${(ms / 1000).toFixed(1)} s`);
            expect(await hostOf(VM)).toBe("compute-2"); // a real compute with the shared store, never a fake one
            expect(await copies(ids[VM]!)).toBe(1);
            await thenCheck();
        } finally {
            await nova.updateComputeService(String(local.id), { status: "enabled" });
            await bringBack("compute-1", { notOn: ["compute-1"] }, { host: "compute-3" });
        }
        expect(await copies(ids[VM]!)).toBe(1);
    }
    /** A fenced host back: powered on, nova-compute running, declared back in service by the config. */
    async function bringBack(host: string, vm: Record<string, unknown>, local: Record<string, unknown>) {
        if (!(await hostRunning(host))) await labBmc("power", host, "on");
        await waitFor(`${host} to boot`, () => hostRunning(host), 120_000);
        await waitFor(`nova-compute on ${host}`, async () => (await onHost(host, "systemctl is-active nova-compute")).code === 0, 180_000, 2000);
        await setStackConfig(stack, { servers: servers(vm, local), maintenance: [{ host, maintenance: false }] });
        await stack.up();
        const svc = await computeService(nova, host);
        expect(svc.forced_down).toBe(false);
        expect(svc.status).toBe("enabled");
        // Masakari put the host it recovered on maintenance after the stack last saw it: an `up` without
        // --refresh still takes it off, or Masakari would ignore the host's next failure.
        const seg = await masakari.findSegment("lab-computes");
        expect((await masakari.listHosts(seg!.uuid)).find((h) => h.name === host)?.on_maintenance).toBe(false);
        await setStackConfig(stack, { servers: servers(vm, local), maintenance: [] });
        await stack.up();
    }

    beforeAll(async () => {
        // No other stack's cluster (the lab stack's) is left on the computes: this stack sets up its own.
        await labHostsForTest(COMPUTES);
        await labBmc("up");
        stack = await openLabStack(inject("laneStack"), { ha: true });
        // The hosts first: an interrupted earlier run may have left computes forced down, which Nova lets
        // go only once their nova-compute runs again.
        await setStackConfig(stack, { servers: [] });
        await stack.up();
        await restoreComputeServices(nova, COMPUTES);
        await restoreSegmentHosts(masakari, "lab-computes");
        await setStackConfig(stack, { servers: servers({ host: "compute-1" }, { host: "compute-3" }) });
        const up = await stack.up();
        Object.assign(ids, up.outputs.serverIds!.value);
        await clearStrandedGuests(nova, COMPUTES, Object.values(up.outputs.serverIds!.value as Record<string, string>));
        for (const name of [VM, LOCAL_VM]) await ticking(nova, ids[name]!, 1);
        const seg = await masakari.findSegment("lab-computes");
        expect(seg?.recovery_method).toBe("auto");
        expect((await masakari.listHosts(seg!.uuid)).map((h) => h.name).sort()).toEqual(COMPUTES);
        // Three members online, fencing configured, from any member's point of view.
        expect(await mustOnHost("compute-2", "crm_mon -1 | grep -E 'Online:|fence-'")).toMatch(/Online: \[ compute-1 compute-2 compute-3 \]/);
    });

    afterAll(async () => {
        for (const host of COMPUTES) if (!(await hostRunning(host))) await labHosts("start", host).catch(() => undefined);
        // The lane's next file converges what this one leaves (its servers); the lane's end destroys the stack.
        for (const host of COMPUTES) {
            const svc = await computeService(nova, host).catch(() => undefined);
            if (svc) await nova.updateComputeService(String(svc.id), { status: "enabled", forcedDown: false }).catch(() => undefined);
        }
    });

    it("keeps the state of the lab's whole configuration (hosts, Gluster, Ceph, HA, guests) under 1 MiB", async () => {
        const size = JSON.stringify(await stack.exportStack()).length;
        console.log(`state of the lab configuration: ${(size / 1024).toFixed(0)} KiB`);
        expect(size).toBeLessThan(1 << 20);
    });

    it("says so when it takes over a Masakari host that is on maintenance, and leaves it so", async () => {
        const seg = (await masakari.findSegment("lab-computes"))!;
        const host = (await masakari.listHosts(seg.uuid)).find((h) => h.name === "compute-3")!;
        await masakari.updateHost(seg.uuid, host.uuid, { on_maintenance: true });
        try {
            // The stack forgets the host (as after an interrupted run), so the next up creates it again.
            const state = await stack.exportStack();
            const resources = (state.deployment as { resources: { urn: string; type: string; dependencies?: string[] }[] }).resources;
            const urn = resources.find((r) => r.type.endsWith(":MasakariSegmentHost") && r.urn.endsWith("-compute-3-host"))!.urn;
            (state.deployment as { resources: unknown[] }).resources = resources
                .filter((r) => r.urn !== urn)
                .map((r) => ({ ...r, dependencies: r.dependencies?.filter((d) => d !== urn) }));
            await stack.importStack(state);
            const up = await stack.up();
            expect(up.stdout).toMatch(/Masakari host compute-3 already existed in segment \S+ and is on maintenance: it stays so/);
            expect(up.stdout).toContain("maintenance: [{ host: compute-3, maintenance: false }]");
            expect((await masakari.listHosts(seg.uuid)).find((h) => h.name === "compute-3")?.on_maintenance).toBe(true);
        } finally {
            await restoreSegmentHosts(masakari, "lab-computes");
        }
    });

    it("takes new cluster timings on the live cluster: reloaded on every member, nothing restarted, nobody fenced", async () => {
        const declared = JSON.parse((await stack.getConfig("livemig:ha")).value) as Record<string, unknown>;
        const daemons = () => Promise.all(COMPUTES.map((h) => mustOnHost(h, "systemctl show -p MainPID --value corosync pacemaker")));
        const tokens = () => Promise.all(COMPUTES.map(async (h) => (await mustOnHost(h, "corosync-cmapctl -g runtime.config.totem.token")).replace(/.* = /, "").trim()));
        const before = await daemons();
        try {
            // Corosync's own default for three members: the timing change the HA bench makes.
            await setStackConfig(stack, { ha: { ...declared, tokenMs: 3650 } });
            await stack.up();
            expect(await tokens()).toEqual(["3650", "3650", "3650"]);
            expect(await daemons()).toEqual(before);
        } finally {
            await setStackConfig(stack, { ha: declared });
            await stack.up();
        }
        expect(await tokens()).toEqual(["1000", "1000", "1000"]);
        // Drift only in the running cluster: compute-2 runs 2000 ms while its file says 1000 again.
        await mustOnHost("compute-2", "sed -i 's/token: 1000/token: 2000/' /etc/corosync/corosync.conf && corosync-cfgtool -R >/dev/null && sed -i 's/token: 2000/token: 1000/' /etc/corosync/corosync.conf");
        expect(await tokens()).toEqual(["1000", "2000", "1000"]);
        await stack.up({ refresh: true });
        expect(await tokens()).toEqual(["1000", "1000", "1000"]);
        expect(await daemons()).toEqual(before);
        for (const host of COMPUTES) expect(await hostRunning(host)).toBe(true);
        expect(await mustOnHost("compute-1", "crm_mon -1")).toMatch(/Online: \[ compute-1 compute-2 compute-3 \]/);
    });

    it("recovers compute-1's guest after its host is powered off: fenced, evacuated, booted from the same disk", async () => {
        const tick = lastTick(await ticking(nova, ids[VM]!, 1)).tick;
        await killCompute1AndRecover("compute-1 killed", async () => {
            const after = await ticking(nova, ids[VM]!, -1, 180_000);
            expect(after.previousTick).toBeGreaterThanOrEqual(tick);
            const svc = await computeService(nova, "compute-1");
            expect(svc.forced_down).toBe(true); // the cluster's fencing told Nova
            // The stack sees the new home and plans no move back onto compute-1: it says what to change.
            const preview = await stack.preview({ refresh: true }).then(() => "", (e: Error) => String(e));
            expect(preview).not.toMatch(/\[object Object\]/); // a host that does not answer is no stray diagnostic
            expect(preview).toContain(`${VM} stays on ${await hostOf(VM)}: compute-1 cannot take it`);
            expect(preview).toContain("maintenance: [{ host: compute-1, maintenance: false }]");
        });
    });

    it("recovers compute-1's guest again when compute-1 fails a second time (its new fencing counts, not the first)", async () => {
        // compute-1 is back in service (the last test's maintenance: false waited until it is schedulable).
        await setStackConfig(stack, { servers: servers({ host: "compute-1" }, { host: "compute-3" }) });
        await stack.up();
        expect(await hostOf(VM)).toBe("compute-1");
        await killCompute1AndRecover("compute-1 killed again", async () => void (await ticking(nova, ids[VM]!, -1, 180_000)));
    });

    it("fences compute-3 cut off the network but still running, then recovers its guest: never two copies", async () => {
        const tick = lastTick(await ticking(nova, ids[LOCAL_VM]!, 1)).tick;
        await ticking(nova, ids[LOCAL_VM]!, tick); // running now, not only in an older console
        expect(await runningCopies(ids[LOCAL_VM]!, COMPUTES)).toEqual({ "compute-1": 0, "compute-2": 0, "compute-3": 1 });
        await mustOnHost("compute-3", "ip link set eth0 down");
        try {
            expect(await copies(ids[LOCAL_VM]!)).toBe(1);
            const ms = await recoveredOff(LOCAL_VM, "compute-3");
            console.log(`compute-3 cut off → ${LOCAL_VM} ACTIVE on ${await hostOf(LOCAL_VM)} after ${(ms / 1000).toFixed(1)} s`);
            expect(await hostRunning("compute-3")).toBe(false); // powered off by the cluster (fence_redfish)
            expect(await copies(ids[LOCAL_VM]!)).toBe(1);
            await ticking(nova, ids[LOCAL_VM]!, -1, 180_000);
        } finally {
            if (await hostRunning("compute-3")) await labHosts("kill", "compute-3"); // a failed case must not leave it cut off
            await bringBack("compute-3", { notOn: ["compute-1"] }, { notOn: ["compute-3"] });
        }
    });

    it("restarts a guest whose QEMU was killed, where it was (instance monitor)", async () => {
        const host = (await hostOf(VM))!;
        const before = await ticking(nova, ids[VM]!, 1);
        await mustOnHost(host, `pkill -KILL -f 'guest=${(await nova.getServer(ids[VM]!))!["OS-EXT-SRV-ATTR:instance_name"]}'`);
        await waitFor(
            `${VM} to run again on ${host}`,
            async () => {
                const s = await nova.getServer(ids[VM]!);
                return !!s && s.status === "ACTIVE" && !taskState(s) && (await copies(ids[VM]!)) === 1;
            },
            180_000,
            2000,
        );
        expect(await hostOf(VM)).toBe(host);
        const after = await ticking(nova, ids[VM]!, -1, 180_000);
        expect(after.boots.length).toBeGreaterThan(0); // a new boot…
        expect(after.previousTick).toBeGreaterThanOrEqual(lastTick(before).tick); // …of the same disk
    });

    it("restarts a killed nova-compute (process monitor), and evacuates nothing", async () => {
        const host = (await hostOf(VM))!;
        const evacuations = async () => (await nova.listMigrations({ instanceUuid: ids[VM]!, migrationType: "evacuation" })).length;
        const before = await evacuations();
        const pid = await mustOnHost(host, "systemctl show -p MainPID --value nova-compute");
        await mustOnHost(host, `kill -KILL ${pid}`);
        await waitFor(
            `nova-compute to run again on ${host}`,
            async () => {
                const now = (await onHost(host, "systemctl show -p MainPID --value nova-compute")).stdout.trim();
                return now !== "0" && now !== pid && (await onHost(host, "systemctl is-active nova-compute")).code === 0;
            },
            90_000,
            1000,
        );
        // Restarted by the process monitor (systemd's own restart is off for nova-compute).
        expect(await mustOnHost(host, "journalctl -u masakari-process-monitor --no-pager | grep -c \"Process '/usr/bin/nova-compute' is not found\" || true")).not.toBe("0");
        await waitFor(`nova-compute on ${host} to report up`, async () => (await computeService(nova, host)).state === "up", 120_000, 2000);
        expect(await evacuations()).toBe(before);
        expect(await hostOf(VM)).toBe(host);
        expect((await computeService(nova, host)).status).toBe("enabled");
    });
});
