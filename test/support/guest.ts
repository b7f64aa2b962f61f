// Reading the lab guest's serial console (lab/guest): it prints a boot banner, the tick it found on its
// disk, then one tick a second with its uptime.
import type { NovaClient } from "../../lib/openstack";
import { waitFor } from "./lab";

export interface Console {
    boots: number[];
    previousTick?: number;
    ticks: { tick: number; uptime: number }[];
}

export function parseConsole(text: string): Console {
    const boots = [...text.matchAll(/LIVEMIG-GUEST BOOT (\d+)/g)].map((m) => Number(m[1]));
    const prev = [...text.matchAll(/LIVEMIG-GUEST PREVIOUS-TICK (\d+)/g)].map((m) => Number(m[1])).pop();
    const ticks = [...text.matchAll(/LIVEMIG-GUEST TICK (\d+) UPTIME ([\d.]+)/g)].map((m) => ({ tick: Number(m[1]), uptime: Number(m[2]) }));
    return { boots, previousTick: prev, ticks };
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
    await waitFor(
        `server ${id} to tick past ${after}`,
        async () => {
            c = await readConsole(nova, id).catch(() => ({ boots: [], ticks: [] }));
            return c.ticks.length > 0 && lastTick(c).tick > after;
        },
        timeoutMs,
        2000,
    );
    return c;
}
