// The walkthrough's migrations and evacuation, declared in the stack and carried out by `pulumi up`
// against the lab's real Nova (nova-compute with the fake live-migration driver on fake-1..3).
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NovaClient, OpenStackSession, loadCloud, serverHost, waitForServerStatus, type Server } from "../../lib/openstack";
import { fenceOff } from "../../lib/fencing/fence";
import type { FenceDevice } from "../../lib/fencing/agent";
import { computeService } from "../../lib/moves/service";
import { pulumiEnv } from "../support/env";
import { FAKES, bootFakeServers, fakeServer, fakeStackConfig } from "../support/fakes";
import { clearStrandedFakeServers, restoreComputeServices } from "../support/guest";
import { killTree, spawnPulumiUp } from "../support/processes";
import { configuredTestStack, labBmc, labFenceDevice, labOpenStack, openstackCli, openstackRun, setStackConfig, waitFor } from "../support/lab";

const VM = "vm-live-migration";
const VOL_VM = "vm-boot-from-vol";

function config(over: { placement?: Record<string, unknown>; servers?: unknown[]; maintenance?: unknown[]; evacuations?: unknown[] } = {}) {
    const placement = over.placement ?? { host: "fake-1" };
    const servers = over.servers ?? [fakeServer(VM, placement), fakeServer(VOL_VM, placement, { bootVolumeGiB: 1 })];
    return fakeStackConfig({ timeoutSeconds: 120, servers, maintenance: over.maintenance, evacuations: over.evacuations });
}

describe("live migration, maintenance and evacuation through pulumi up", () => {
    let stack: Stack;
    let remove: () => Promise<void>;
    const nova = new NovaClient(new OpenStackSession(loadCloud({ cloud: "livemig-lab" })));
    const extra: string[] = [];

    const ids: Record<string, string> = {};
    /** Where openstackclient says the server is (by id: other stacks may have servers of the same name). */
    async function where(name: string): Promise<{ host: string; status: string }> {
        if (!ids[name]) Object.assign(ids, (await stack.outputs()).serverIds?.value ?? {});
        const s = await openstackCli<Record<string, string>>("server", "show", ids[name]!);
        return { host: s["OS-EXT-SRV-ATTR:host"]!, status: s.status! };
    }
    async function serversOn(host: string): Promise<Server[]> {
        return nova.listServers({ host, allTenants: true });
    }

    beforeAll(async () => {
        await labBmc("up");
        // Whatever earlier tests or stacks left on the fake computes: services in service, servers running.
        for (const host of FAKES) await labOpenStack("start", `nova-compute@${host}`);
        await restoreComputeServices(nova, FAKES);
        await clearStrandedFakeServers(nova, FAKES);
        ({ stack, remove } = await configuredTestStack("moves", config()));
    });

    afterAll(async () => {
        await stack?.destroy().catch(() => undefined);
        await remove?.();
        for (const id of extra) await nova.deleteServer(id).catch(() => undefined);
        // Leave every compute up, enabled and not forced down for whoever comes next.
        for (const host of FAKES) {
            await labOpenStack("start", `nova-compute@${host}`).catch(() => undefined);
            const svc = await computeService(nova, host);
            await nova.updateComputeService(String(svc.id), { status: "enabled", forcedDown: false }).catch(() => undefined);
        }
    });

    it("boots the walkthrough's two VMs (one from a bootable volume) on fake-1", async () => {
        const up = await stack.up();
        expect(up.summary.result).toBe("succeeded");
        // An output that does not apply (no Gluster here) is null, not an SDK warning on every run.
        expect(up.outputs.glusterVolume).toEqual({ value: null, secret: false });
        expect(up.stdout).not.toMatch(/Undefined value/);
        expect(await where(VM)).toEqual({ host: "fake-1", status: "ACTIVE" });
        expect(await where(VOL_VM)).toEqual({ host: "fake-1", status: "ACTIVE" });
        const volumes = await openstackCli<{ Name: string; Status: string; Bootable?: string }[]>("volume", "list", "--long");
        expect(volumes.find((v) => v.Name === `${VOL_VM}-boot`)).toMatchObject({ Status: "in-use" });
    });

    it("shows the planned moves in the preview, and live-migrates both to fake-2 on up", async () => {
        await setStackConfig(stack, config({ placement: { host: "fake-2" } }));
        const preview = await stack.preview({ diff: true });
        expect(preview.changeSummary.update).toBe(2);
        expect(preview.stdout).toMatch(/host\s*: "fake-1" => "fake-2"/);
        const up = await stack.up();
        expect(up.summary.resourceChanges?.update).toBe(2);
        expect(await where(VM)).toEqual({ host: "fake-2", status: "ACTIVE" });
        expect(await where(VOL_VM)).toEqual({ host: "fake-2", status: "ACTIVE" });
        expect(up.outputs.serverHosts?.value).toEqual({ [VM]: "fake-2", [VOL_VM]: "fake-2" });
        await stack.preview({ expectNoChanges: true, refresh: true });
    });

    it("sees a live migration made by hand as drift, and puts the VM back", async () => {
        const id = ids[VM]!;
        await openstackRun("--os-compute-api-version", "2.30", "server", "migrate", "--live-migration", "--host", "fake-3", "--wait", id);
        await waitForServerStatus(nova, id, { status: "ACTIVE", timeoutMs: 120_000 });
        expect((await where(VM)).host).toBe("fake-3");

        const preview = await stack.preview({ refresh: true, diff: true });
        expect(preview.changeSummary.update).toBe(1);
        expect(preview.stdout).toMatch(/host\s*: "fake-3" => "fake-2"/);
        await stack.up({ refresh: true });
        expect(await where(VM)).toEqual({ host: "fake-2", status: "ACTIVE" });
    });

    it("moves to the scheduler's choice for 'anywhere but fake-2'", async () => {
        await setStackConfig(stack, config({ placement: { notOn: ["fake-2"] } }));
        await stack.up();
        for (const name of [VM, VOL_VM]) {
            const w = await where(name);
            expect(["fake-1", "fake-3"]).toContain(w.host);
            expect(w.status).toBe("ACTIVE");
        }
    });

    it("fails clearly when the target host is down, and the VM keeps running on its source", async () => {
        const before = await where(VM);
        const target = before.host === "fake-1" ? "fake-3" : "fake-1";
        const svc = await computeService(nova, target);
        await nova.updateComputeService(String(svc.id), { forcedDown: true });
        try {
            await setStackConfig(stack, config({ placement: { host: target } }));
            const err = await stack.up().then(() => undefined, (e: Error) => e);
            // Refused before any move is tried: the target is forced down. Both servers were to go there;
            // the engine stops at the first refusal, which may be either's.
            expect(String(err)).toMatch(new RegExp(`(${VM}|${VOL_VM}) stays on ${before.host}: ${target} cannot take it, nova-compute on ${target} is down \\(forced down\\)`));
            expect(await where(VM)).toEqual(before);
        } finally {
            await nova.updateComputeService(String(svc.id), { forcedDown: false });
        }
        // Back to a placement that holds, for what follows.
        await setStackConfig(stack, config({ placement: { host: before.host } }));
        await stack.up();
    });

    it("refuses to evacuate a host without proof that it is off (no fence device, not declared fenced)", async () => {
        const { host } = await where(VM);
        await setStackConfig(stack, config({ placement: { notOn: [host] }, evacuations: [{ host }] }));
        const err = await stack.up().then(() => undefined, (e: Error) => e);
        expect(String(err)).toContain(`evacuating ${host} needs proof that it is off`);
        expect(await where(VM)).toEqual({ host, status: "ACTIVE" });
        expect(await where(VOL_VM)).toEqual({ host, status: "ACTIVE" });
    });

    it("powers a failed host off through its BMC (fence_ipmilan), then evacuates both VMs", async () => {
        const { host } = await where(VM);
        const device = await labFenceDevice(host);
        await setStackConfig(stack, { ...config({ placement: { notOn: [host] }, evacuations: [{ host }] }), fenceDevices: [device] }, ["fenceDevices"]);
        const up = await stack.up();
        expect(up.outputs.evacuations?.value?.[host]?.fencing).toMatchObject({ method: "fence-device", alreadyOff: false });
        // The fake compute's "power" is its nova-compute process: the BMC stopped it.
        expect((await labBmc("power", host, "status")).trim()).toBe("Chassis Power is off");
        // Fencing a host that is off already powers nothing: the agent says so, and the device confirms it.
        expect(await fenceOff(host, device as unknown as FenceDevice)).toMatchObject({ alreadyOff: true });
        for (const name of [VM, VOL_VM]) expect((await where(name)).host).not.toBe(host);
        // Back: powered on, its nova-compute cleans up; removing the evacuation unforces the host.
        await labBmc("power", host, "on");
        await labOpenStack("start", `nova-compute@${host}`);
        await setStackConfig(stack, { ...config({ placement: { notOn: [host] } }), fenceDevices: [device] }, ["fenceDevices"]);
        await stack.up();
        expect((await computeService(nova, host)).forced_down).toBe(false);
        await setStackConfig(stack, { ...config({ placement: { host } }), fenceDevices: [] });
        await stack.up();
    });

    it("evacuates both VMs from a failed, fenced host, then unforces it once it is back", async () => {
        const { host } = await where(VM);
        await labOpenStack("stop", `nova-compute@${host}`);
        await setStackConfig(stack, config({ placement: { notOn: [host] }, evacuations: [{ host, fenced: true }] }));
        const up = await stack.up();
        expect(up.summary.result).toBe("succeeded");
        for (const name of [VM, VOL_VM]) {
            const w = await where(name);
            expect(w.host).not.toBe(host);
            expect(w.status).toBe("ACTIVE");
        }
        expect((await computeService(nova, host)).forced_down).toBe(true);

        // The host is repaired: its nova-compute starts, cleans up, and marks the evacuations completed.
        await labOpenStack("start", `nova-compute@${host}`);
        await setStackConfig(stack, config({ placement: { notOn: [host] } }));
        await stack.up();
        expect((await computeService(nova, host)).forced_down).toBe(false);
        await stack.preview({ expectNoChanges: true, refresh: true });
    });

    it("drains a host of 10 servers, 3 at a time, then puts it back into service", async () => {
        await clearStrandedFakeServers(nova, FAKES, Object.values(ids));
        await bootFakeServers(nova, "fake-3", 10, "drain", { track: extra });
        expect((await serversOn("fake-3")).length).toBeGreaterThanOrEqual(10);

        await setStackConfig(stack, config({ placement: { notOn: ["fake-3"] }, maintenance: [{ host: "fake-3", concurrency: 3, reason: "livemig test: new RAM" }] }));
        const up = await stack.up();
        expect(up.summary.result).toBe("succeeded");
        // Progress while it ran, on the resource's row of the engine's display.
        expect(up.stdout).toMatch(/HostMaintenance maintenance-fake-3 creating \(\d+s\) draining fake-3: \d+\/\d+ moved, [0-3] running, \d+ queued/);
        expect(await serversOn("fake-3")).toEqual([]);
        const svc = await computeService(nova, "fake-3");
        expect(svc).toMatchObject({ status: "disabled", disabled_reason: "livemig test: new RAM" });
        for (const id of extra) expect(serverHost((await nova.getServer(id))!)).not.toBe("fake-3");

        await setStackConfig(stack, config({ placement: { notOn: ["fake-3"] }, maintenance: [{ host: "fake-3", maintenance: false, reason: "livemig test: new RAM" }] }));
        await stack.up();
        expect((await computeService(nova, "fake-3")).status).toBe("enabled");
    });

    it("finishes a drain that a killed pulumi up left half done, moving no server twice", async () => {
        const since = new Date(Date.now() - 1000).toISOString();
        const ids = await bootFakeServers(nova, "fake-3", 6, "killed", { track: extra });
        await setStackConfig(stack, config({ placement: { notOn: ["fake-3"] }, maintenance: [{ host: "fake-3", concurrency: 2 }] }));

        // A real `pulumi up`, killed (SIGKILL, with its provider processes) once the first moves completed.
        const completed = async () =>
            (await nova.listMigrations({ migrationType: "live-migration", changesSince: since })).filter((m) => ids.includes(m.instance_uuid) && m.status === "completed");
        const cli = spawnPulumiUp(stack.name, pulumiEnv("lab-tests"));
        await waitFor("the first moves of the drain", async () => (await completed()).length >= 1, 180_000, 500);
        // The CLI starts its plugins (language host, dynamic providers) in process groups of their own:
        // kill the whole tree by PID, as a crash of the machine running pulumi would.
        killTree(cli.pid!);
        const movedBeforeKill = (await completed()).length;
        expect(movedBeforeKill).toBeLessThan(ids.length);

        // What an operator does after a killed run on a file backend: drop its lock, then run up again.
        await stack.cancel();
        const up = await stack.up();
        expect(up.summary.result).toBe("succeeded");
        expect(await serversOn("fake-3")).toEqual([]);
        const records = (await completed()).map((m) => m.instance_uuid);
        for (const id of ids) {
            expect(records.filter((r) => r === id).length).toBe(1); // moved exactly once
            expect((await nova.getServer(id))?.status).toBe("ACTIVE"); // and not lost
        }
        await setStackConfig(stack, config({ placement: { notOn: ["fake-3"] }, maintenance: [{ host: "fake-3", maintenance: false }] }));
        await stack.up();
    });
});
