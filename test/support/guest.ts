// Reading the lab guest's serial console (lab/guest): it prints a boot banner, the tick it found on its
// disk, then one tick a second with its uptime.
import { serverHost, taskState, type MasakariClient, type NovaClient, type Server } from "../../lib/openstack";
import { novaDefaults } from "../../lib/config/hostSchemas";
import { sleep } from "../../lib/openstack/sleep";
import { mustOnHost, onHost, waitFor } from "./lab";

export interface Console {
    boots: number[];
    previousTick?: number;
    ticks: { tick: number; uptime: number }[];
    /** What the guest's kernel said went wrong (an Oops, a panic): why a guest booted again. */
    kernelTrouble?: string[];
}

const KERNEL_TROUBLE = /BUG:|Oops|Kernel panic|general protection fault|RIP:|Call Trace:|\S+\+0x[0-9a-f]+\/0x[0-9a-f]+/;

export function parseConsole(text: string): Console {
    const boots = [...text.matchAll(/LIVEMIG-GUEST BOOT (\d+)/g)].map((m) => Number(m[1]));
    const prev = [...text.matchAll(/LIVEMIG-GUEST PREVIOUS-TICK (\d+)/g)].map((m) => Number(m[1])).pop();
    const ticks = [...text.matchAll(/LIVEMIG-GUEST TICK (\d+) UPTIME ([\d.]+)/g)].map((m) => ({ tick: Number(m[1]), uptime: Number(m[2]) }));
    const kernelTrouble = text.split("\n").filter((l) => KERNEL_TROUBLE.test(l)).slice(0, 12).map((l) => l.trim());
    return { boots, previousTick: prev, ticks, kernelTrouble };
}

/**
 * Fails when the guest booted again (a live migration must not restart it), with what its kernel said
 * first: a stale page after a move shows as an Oops or a panic just before the new boot banner.
 */
export function assertNoReboot(c: Console, what: string): void {
    if (c.boots.length === 0) return;
    const said = c.kernelTrouble?.length ? `its kernel said: ${JSON.stringify(c.kernelTrouble)}` : "no Oops or panic in the console's last 200 lines";
    throw new Error(`${what} booted again (boot banner ${c.boots.join(", ")}) where it should have run on; ${said}`);
}

export async function readConsole(nova: NovaClient, id: string): Promise<Console> {
    return parseConsole(await nova.getConsoleOutput(id, 200));
}

export function lastTick(c: Console): { tick: number; uptime: number } {
    const t = c.ticks[c.ticks.length - 1];
    if (!t) throw new Error("the guest printed no tick yet");
    return t;
}

/** Waits until the guest ticks past `after` (bounded), and returns its console. */
export async function ticking(nova: NovaClient, id: string, after = -1, timeoutMs = 120_000): Promise<Console> {
    let c: Console = { boots: [], ticks: [] };
    let text = "";
    try {
        await waitFor(
            `server ${id} to tick past ${after}`,
            async () => {
                text = await nova.getConsoleOutput(id, 200).catch((e: Error) => `(no console: ${e.message})`);
                c = parseConsole(text);
                return c.ticks.length > 0 && lastTick(c).tick > after;
            },
            timeoutMs,
            2000,
        );
    } catch (err) {
        // Say what the guest was doing instead: its state in Nova and the end of its console.
        const s = await nova.getServer(id).catch(() => undefined);
        const state = s ? `${s.status} on ${serverHost(s)}, power state ${String(s["OS-EXT-STS:power_state"])}, task ${taskState(s) ?? "none"}` : "gone";
        // The tick the guest last saved, twice: a guest that stopped shows the same tick, one whose console
        // went quiet while it ran on shows it growing.
        const host = s && serverHost(s);
        const saved = host ? `${await savedTick(host, id)}, then 3 s later ${await sleep(3000).then(() => savedTick(host, id))}` : "unread (no host)";
        throw new Error(
            `${(err as Error).message}; the server is ${state}; its console ends: ${JSON.stringify(text.trim().split("\n").slice(-4))}; its disk says ${saved}`,
        );
    }
    return c;
}

/** diskState of a server's disk in the instance store, as text for an error message. */
async function savedTick(host: string, id: string): Promise<string> {
    return diskState(host, `${novaDefaults.instancesPath}/${id}/disk`).then(
        (d) => `boot ${d.boot} tick ${d.tick}`,
        (e: Error) => `unreadable (${e.message.split("\n")[0]})`,
    );
}

/**
 * What the guest last saved on its disk (lab/guest/README.md: the state sector), read on `host` beside
 * the running guest (a shared lock, read-only). The console cannot always say: after a live migration
 * that failed on shared storage, the destination's virtlogd had already replaced console.log on the
 * store, and the guest's output goes on into the old, unlinked file until its next move or boot.
 */
export async function diskState(host: string, diskPath: string): Promise<{ boot: number; tick: number }> {
    // qemu-img dd's count ends the input (in blocks from its start): skip 1024, count 1025 is one sector.
    const out = await mustOnHost(host, `t=$(mktemp) && qemu-img dd -U -O raw bs=512 skip=1024 count=1025 if='${diskPath}' of="$t" && tr -d '\\000' <"$t"; rm -f "$t"`);
    const m = /LIVEMIG-GUEST-STATE boot=(\d+) tick=(\d+)/.exec(out);
    if (!m) throw new Error(`${host}: no guest state in ${diskPath}: ${JSON.stringify(out)}`);
    return { boot: Number(m[1]), tick: Number(m[2]) };
}

/**
 * After the lab's hosts were reset (`hosts down`/`up`), servers of other stacks are left on the real
 * computes with no domain behind them (power state "pending", or stopped by Nova's power sync, or in
 * ERROR): nothing can move them, and a drain or an evacuation of their host would fail on them. A hard
 * reboot recreates each from its disk, as an operator would after such an outage; one whose disk went
 * with the reset (it ends in ERROR) is deleted, and its stack creates it again on its next `pulumi up`.
 * Returns what was deleted. Bounded.
 */
export async function clearStrandedGuests(nova: NovaClient, hosts: string[], keep: string[] = []): Promise<string[]> {
    return clearStranded(nova, hosts, keep, true);
}

/**
 * The same for the fake computes (fake-N): nova's fake driver keeps its guests in memory, so a restarted
 * fake compute (its BMC powered it off, a test stopped it) has forgotten every server Nova still places on
 * it (power state "pending"); a drain of that host would fail on them. A hard reboot spawns them again.
 */
export async function clearStrandedFakeServers(nova: NovaClient, hosts: string[], keep: string[] = []): Promise<string[]> {
    return clearStranded(nova, hosts, keep, false);
}

async function clearStranded(nova: NovaClient, hosts: string[], keep: string[], libvirt: boolean): Promise<string[]> {
    const running = (s: Server) => s.status === "ACTIVE" && s["OS-EXT-STS:power_state"] === 1 && !taskState(s);
    // What libvirt really runs: right after a reset Nova may still record a vanished guest as running.
    const domains = new Set<string>();
    const domainsOn = async (host: string) => (await onHost(host, "virsh -q list --uuid")).stdout;
    if (libvirt) for (const host of hosts) (await domainsOn(host)).split("\n").forEach((l) => l.trim() && domains.add(l.trim()));
    const stranded = (await nova.listServers({ allTenants: true })).filter(
        (s) => hosts.includes(serverHost(s) ?? "") && !keep.includes(s.id) && (!running(s) || (libvirt && !domains.has(s.id))),
    );
    for (const s of stranded) if (s.status !== "ERROR") await nova.rebootServer(s.id, "HARD").catch(() => undefined);
    const deleted: string[] = [];
    for (const s of stranded) {
        const back = await waitFor(`server ${s.id} to run again`, async () => { const now = await nova.getServer(s.id); return !now || running(now) || now.status === "ERROR"; }, 180_000, 2000)
            .then(async () => { const now = await nova.getServer(s.id); return !!now && running(now) && (!libvirt || (await domainsOn(serverHost(now) ?? "")).includes(s.id)); })
            .catch(() => false);
        if (!back) {
            await nova.deleteServer(s.id).catch(() => undefined);
            deleted.push(s.id);
        }
    }
    return deleted;
}

/**
 * Every named compute enabled and not forced down, as a test found it or an interrupted one left it. Nova
 * refuses to unforce a host until its (restarted) nova-compute marked its evacuations completed, so call
 * this once nova-compute runs there; it retries for a while. Throws naming the hosts it could not restore.
 */
export async function restoreComputeServices(nova: NovaClient, hosts: string[], timeoutMs = 90_000): Promise<void> {
    const pending = async () => (await nova.listComputeServices()).filter((x) => x.binary === "nova-compute" && hosts.includes(x.host) && (x.forced_down || x.status !== "enabled"));
    await waitFor(
        `compute services of ${hosts.join(", ")} to be enabled and not forced down`,
        async () => {
            const left = await pending();
            for (const s of left) await nova.updateComputeService(String(s.id), { status: "enabled", forcedDown: false }).catch(() => undefined);
            return (await pending()).length === 0;
        },
        timeoutMs,
        3000,
    );
}

/**
 * Every host of the Masakari segment `name` out of maintenance. A stack adopts a segment of its name left by
 * an earlier or interrupted run with its hosts' flags, and Masakari ignores the failure of a host it recovered
 * before (on maintenance) until someone takes it out.
 */
export async function restoreSegmentHosts(masakari: MasakariClient, name: string): Promise<void> {
    const seg = await masakari.findSegment(name);
    for (const h of seg ? await masakari.listHosts(seg.uuid) : []) {
        if (h.on_maintenance) await masakari.updateHost(seg!.uuid, h.uuid, { on_maintenance: false });
    }
}
