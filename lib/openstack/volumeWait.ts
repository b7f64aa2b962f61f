// Waiting on a volume's status (creating → available, deleting → gone).
import type { CinderClient, Volume } from "./cinder";
import { ResourceGoneError } from "./errors";
import { waitFor } from "./wait";

export async function waitForVolumeStatus(
    cinder: CinderClient,
    id: string,
    o: { status: string; failStates?: string[]; timeoutMs: number; signal?: AbortSignal },
): Promise<Volume> {
    const failStates = o.failStates ?? ["error", "error_restoring", "error_extending"];
    return waitFor(
        `volume ${id} to become ${o.status}`,
        async () => {
            const v = await cinder.getVolume(id);
            if (!v) throw new ResourceGoneError("volume", id, `waiting for it to become ${o.status}`);
            return v;
        },
        (v) => v.status === o.status,
        {
            timeoutMs: o.timeoutMs,
            intervalMs: 500,
            maxIntervalMs: 3000,
            signal: o.signal,
            describe: (v) => `status ${v.status}`,
            fail: (v) => (failStates.includes(v.status) ? `it is ${v.status}` : undefined),
        },
    );
}

/** Waits until GET returns 404 (deletion finished). */
export async function waitForVolumeGone(cinder: CinderClient, id: string, o: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    await waitFor(`volume ${id} to be deleted`, () => cinder.getVolume(id), (v) => v === undefined, {
        timeoutMs: o.timeoutMs,
        intervalMs: 500,
        maxIntervalMs: 3000,
        signal: o.signal,
        describe: (v) => (v ? `status ${v.status}` : "gone"),
        fail: (v) => (v?.status === "error_deleting" ? "it is error_deleting" : undefined),
    });
}
