// The lab's fake computes (nova's fake driver, fake-1..3 in availability zone "fake"): what the tests and
// benches that move many servers without real guests share — the stack config over them, and servers
// booted on them through Nova's API, outside any stack.
import { GlanceClient, NovaClient, waitForServerStatus } from "../../lib/openstack";

export const FAKES = ["fake-1", "fake-2", "fake-3"];
export const FAKE_IMAGE = "cirros-like-raw";

/** A server of the stack on the fake computes: from the image, or from a bootable volume of `size` GiB. */
export function fakeServer(name: string, placement: Record<string, unknown>, o: { bootVolumeGiB?: number } = {}) {
    const disk = o.bootVolumeGiB ? { bootVolume: { size: o.bootVolumeGiB } } : { image: FAKE_IMAGE };
    return { name, flavor: "m1.tiny", ...disk, availabilityZone: "fake", placement };
}

/** The stack config over the fake computes: its servers, its plans, moves bounded by `timeoutSeconds`. */
export function fakeStackConfig(o: { timeoutSeconds: number; servers?: unknown[]; maintenance?: unknown[]; evacuations?: unknown[] }) {
    return {
        openstack: { cloud: "livemig-lab" },
        computes: FAKES,
        moves: { timeoutSeconds: o.timeoutSeconds },
        servers: o.servers ?? [],
        maintenance: o.maintenance ?? [],
        evacuations: o.evacuations ?? [],
    };
}

let imageId: string | undefined;

/**
 * Boots `n` servers named `prefix-i` on a fake compute, then waits until each is ACTIVE. Returns their ids;
 * each id also goes into `o.track` as soon as it exists, so a caller's clean-up finds it even if a wait fails.
 */
export async function bootFakeServers(nova: NovaClient, host: string, n: number, prefix: string, o: { track?: string[]; timeoutMs?: number } = {}): Promise<string[]> {
    imageId ??= (await new GlanceClient(nova.session).findImage(FAKE_IMAGE))?.id;
    if (!imageId) throw new Error(`image ${FAKE_IMAGE} not found in the lab's Glance: run lab/lab up`);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
        const { id } = await nova.createServer({ name: `${prefix}-${i}`, flavorRef: "1", imageRef: imageId, host, networks: "none", availabilityZone: "fake" });
        ids.push(id);
        o.track?.push(id);
    }
    for (const id of ids) await waitForServerStatus(nova, id, { status: "ACTIVE", timeoutMs: o.timeoutMs ?? 120_000 });
    return ids;
}
