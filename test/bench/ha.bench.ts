// Automatic recovery, from `lab hosts kill compute-1` to every guest of compute-1 ACTIVE elsewhere and
// ticking again, each phase timed from the logs of the survivors and Nova's records: detection (the
// cluster loses the member), fencing (the BMC reports it off and Nova forces its service down),
// notification (Masakari hears of it), evacuation (Nova rebuilt the guests), reboot (the guests tick).
// Three ways, in the same run on the same lab: the stack's Masakari (its timings), Masakari with its shipped
// defaults (engine waits, host monitor interval, Corosync's default token), and the stack's declared
// evacuation (`fenced: true` right after the kill, with no HA at all).
import { MasakariClient, NovaClient, OpenStackSession, loadCloud, serverHost, taskState } from "../../lib/openstack";
import { computeService } from "../../lib/moves/service";
import { clearStrandedGuests, diskState, restoreComputeServices, restoreSegmentHosts } from "../support/guest";
import { labBmc, labGuest, labHosts, labOpenStack, labTestStack, onHost, setStackConfig, waitFor } from "../support/lab";
import { record, secs } from "./support";

const B = "recovery of compute-1";
const GUESTS = ["ha-a", "ha-b"];
const COMPUTES = ["compute-1", "compute-2", "compute-3"];
// The guests' disks are on the Gluster store of compute-1 and compute-2: the state sector the guest saves
// there (boot count, tick) tells a boot from the same disk, where the console log is slow to show it (the
// dead host's Gluster locks delay the new virtlogd's writes by minutes).
const diskOf = (id: string) => `/var/lib/nova/instances/${id}/disk`;
/** The state each guest saved on its disk, read on `hosts[i]` (none yet: boot 0, tick 0). */
const savedStates = (ids: string[], hosts: string[]) => Promise.all(ids.map((id, i) => diskState(hosts[i]!, diskOf(id)).catch(() => ({ boot: 0, tick: 0 }))));

/** The first journal line on `host` since `sinceS` matching `pattern`, as epoch seconds. */
async function journalTime(host: string, sinceS: number, pattern: string): Promise<number | undefined> {
    const r = await onHost(host, `journalctl --no-pager -o short-unix --since @${Math.floor(sinceS)} | grep -m1 -E ${JSON.stringify(pattern)} || true`);
    const t = Number(r.stdout.trim().split(" ")[0]);
    return Number.isFinite(t) && t > 0 ? t : undefined;
}

interface Phases {
    detected?: number;
    fenced?: number;
    notified?: number;
    active: number;
    ticking: number;
}

export async function benchHa(): Promise<void> {
    await labOpenStack("up");
    await labGuest("register");
    await labHosts("down");
    await labHosts("up");
    await labBmc("up");
    const session = new OpenStackSession(loadCloud({ cloud: "livemig-lab" }));
    const nova = new NovaClient(session);
    const masakari = new MasakariClient(session);
    const { stack, remove } = await labTestStack("bench-ha", { ha: true });
    const servers = (host: Record<string, unknown>) => GUESTS.map((name) => ({ name, flavor: "m1.tiny", image: "livemig-guest", availabilityZone: "nova", placement: host }));
    const ha = (timings: Record<string, number>) => ({
        monitorSettingsPath: "/var/lib/livemig-lab/openstack/masakari-monitors.ini",
        segments: [{ name: "lab-computes", recoveryMethod: "auto", hosts: COMPUTES }],
        ...timings,
    });
    const TUNED = {};
    // Masakari's own monitor intervals and Corosync's default token (3000 ms + 650 ms per member above two).
    const DEFAULTS = { tokenMs: 3650, hostMonitorIntervalSeconds: 60, processCheckIntervalSeconds: 5 };
    let ids: string[] = [];
    try {
        await setStackConfig(stack, { servers: [], evacuations: [], maintenance: [] });
        await stack.removeConfig("ha");
        await stack.up();
        await restoreComputeServices(nova, COMPUTES);
        await setStackConfig(stack, { servers: servers({ host: "compute-1" }) });
        const up = await stack.up();
        ids = GUESTS.map((g) => up.outputs.serverIds!.value[g] as string);
        await clearStrandedGuests(nova, COMPUTES, ids);
        // Recovery onto the Gluster store (compute-2), where the guests' disks are, in all three ways: the
        // scheduler would otherwise rebuild some from the image on compute-3's local disk.
        const local = await computeService(nova, "compute-3");
        await nova.updateComputeService(String(local.id), { status: "disabled", disabledReason: "livemig bench: recover onto the shared store" });

        const measure = async (what: string, afterKill: () => Promise<void>) => {
            let before: { boot: number; tick: number }[] = [];
            await waitFor("the guests to tick on compute-1", async () => {
                before = await savedStates(ids, ids.map(() => "compute-1"));
                return before.every((d) => d.tick > 1);
            }, 180_000, 2000);
            const t0 = Date.now() / 1000;
            await labHosts("kill", "compute-1");
            await afterKill();
            const p: Phases = { active: 0, ticking: 0 };
            await waitFor(`${what}: guests ACTIVE off compute-1`, async () => {
                const ss = await Promise.all(ids.map((id) => nova.getServer(id)));
                return ss.every((s) => !!s && s.status === "ACTIVE" && !taskState(s) && serverHost(s) !== "compute-1" && COMPUTES.includes(serverHost(s) ?? ""));
            }, 900_000, 1000);
            p.active = Date.now() / 1000 - t0;
            // Booted again from the same disk: the next boot count, saved by the guest on that disk, and ticking.
            await waitFor(`${what}: guests booted elsewhere from their own disks`, async () => {
                const ss = await Promise.all(ids.map((id) => nova.getServer(id)));
                const now = await savedStates(ids, ss.map((s) => serverHost(s!) ?? "compute-2"));
                return now.every((d, i) => d.boot > before[i]!.boot && d.tick >= 1);
            }, 300_000, 1000);
            p.ticking = Date.now() / 1000 - t0;
            for (const host of ["compute-2", "compute-3"]) {
                p.detected ??= await journalTime(host, t0 - 1, "Node compute-1 state is now lost").then((t) => t && t - t0);
                p.fenced ??= await journalTime(host, t0 - 1, "Peer compute-1 was terminated").then((t) => t && t - t0);
                p.notified ??= await journalTime(host, t0 - 1, "Send a notification.*compute-1").then((t) => t && t - t0);
            }
            const f = (v?: number) => (v === undefined ? "–" : `${v.toFixed(1)} s`);
            record(B, what, secs(p.ticking * 1000), `lost ${f(p.detected)}, fenced ${f(p.fenced)}, notified ${f(p.notified)}, all ACTIVE ${f(p.active)}, ticking ${f(p.ticking)}`);
            return p;
        };
        const back = async () => {
            if ((await labHosts("pid", "compute-1").then(() => true, () => false)) === false) await labBmc("power", "compute-1", "on");
            await waitFor("nova-compute on compute-1", async () => (await onHost("compute-1", "systemctl is-active nova-compute")).code === 0, 180_000, 2000);
            await setStackConfig(stack, { servers: servers({ notOn: ["compute-1"] }), evacuations: [], maintenance: [{ host: "compute-1", maintenance: false }] });
            await stack.up();
            await setStackConfig(stack, { servers: servers({ host: "compute-1" }), maintenance: [] });
            await stack.up();
        };

        // 1. The stack's declared evacuation, no HA: the operator's `pulumi up` right after the failure.
        const declared = await measure("declared evacuation (fenced: true), pulumi up at once", async () => {
            await setStackConfig(stack, { servers: servers({ notOn: ["compute-1"] }), evacuations: [{ host: "compute-1", fenced: true, reboot: false }] });
            await stack.up();
        });
        await back();

        // 2. Masakari with the stack's timings, 3. with Masakari's (and Corosync's) defaults.
        await labOpenStack("masakari-timings", "tuned");
        await setStackConfig(stack, { ha: ha(TUNED) });
        await stack.up();
        await restoreSegmentHosts(masakari, "lab-computes");
        const tunedAt = Date.now();
        const tuned = await measure("Masakari, the stack's timings", async () => undefined);
        await back();
        await labOpenStack("masakari-timings", "defaults");
        await setStackConfig(stack, { ha: ha(DEFAULTS) });
        await stack.up();
        // With its defaults Masakari drops a report on the same host within 180 s of the last as a duplicate.
        const quiet = 200_000 - (Date.now() - tunedAt);
        if (quiet > 0) await new Promise((r) => setTimeout(r, quiet));
        const defaults = await measure("Masakari, shipped defaults", async () => undefined);
        await back();
        record(B, "stack's Masakari / Masakari defaults", `${(tuned.ticking / defaults.ticking).toFixed(2)}×`);
        record(B, "stack's Masakari / declared evacuation", `${(tuned.ticking / declared.ticking).toFixed(2)}×`);
        const seg = await masakari.findSegment("lab-computes");
        if (seg) record(B, "Masakari notifications in the run", String((await masakari.listNotifications()).length));
    } finally {
        await restoreComputeServices(nova, ["compute-3"]).catch(() => undefined);
        await labOpenStack("masakari-timings", "tuned").catch(() => undefined);
        await labHosts("start", "compute-1").catch(() => undefined);
        await stack.destroy().catch(() => undefined);
        await remove();
    }
}
