// Fencing a host through its power device: power it off, then read the power status until the device
// says "off". Only that (or the operator's own word) makes it safe to start its servers elsewhere.
import { runFenceAgent, type FenceDevice } from "./agent";

/** The device could not be read or did not power the host off. */
export class FenceError extends Error {
    constructor(
        readonly host: string,
        message: string,
    ) {
        super(message);
        // Set explicitly: this class may run inside a serialized dynamic provider (see lib/ssh/exec.ts).
        this.message = message;
        this.name = "FenceError";
    }
}

const where = (host: string, d: FenceDevice) => `${host}'s fence device (${d.agent} at ${d.address}${d.port ? `:${d.port}` : ""})`;

/** What the device reports; throws FenceError (naming the host) when it cannot be read. */
export async function powerStatus(host: string, device: FenceDevice): Promise<"on" | "off"> {
    const r = await runFenceAgent(device, "status", { timeoutMs: 30_000 });
    if (r.power) return r.power;
    throw new FenceError(
        host,
        `cannot read the power status of ${host} from ${where(host, device)}: ${r.output || `exit ${r.exitCode}`}. ` +
            `Check its address, user and password (a wrong login reads "Unable to obtain correct plug status" with fence_ipmilan)`,
    );
}

export interface FenceResult {
    /** The device already reported the host off: nothing was powered off. */
    alreadyOff: boolean;
    /** From the off command to the device confirming "off". */
    durationMs: number;
}

export interface FenceOptions {
    /** How long the device may take to report "off" after the off command; default 60 s. */
    timeoutMs?: number;
    /** Between status reads; default 500 ms (a status read takes ~0.15 s on an IPMI BMC). */
    intervalMs?: number;
}

/** Powers the host off through its device and returns once the device reports it off; throws FenceError otherwise. */
export async function fenceOff(host: string, device: FenceDevice, o: FenceOptions = {}): Promise<FenceResult> {
    const start = Date.now();
    const timeoutMs = o.timeoutMs ?? 60_000;
    // No status read first: the agent reads it itself before the off command and says "Already OFF" (a
    // device that cannot be read fails here, and the status read below names why).
    const off = await runFenceAgent({ ...device, powerTimeoutSeconds: Math.max(1, Math.round(timeoutMs / 1000)) }, "off", { timeoutMs: timeoutMs + 10_000 });
    const alreadyOff = off.exitCode === 0 && /Success: Already OFF/.test(off.output);
    // The agent's own "Success" is not the proof: the device must say "off" when asked again.
    const deadline = start + timeoutMs;
    for (;;) {
        if ((await powerStatus(host, device)) === "off") return { alreadyOff, durationMs: Date.now() - start };
        // A failed agent has already waited its own power_timeout for "off".
        if (off.exitCode !== 0 || Date.now() >= deadline) {
            throw new FenceError(
                host,
                `${where(host, device)} still reports ${host} on ${Math.round((Date.now() - start) / 1000)} s after the power-off ` +
                    `(${off.exitCode === 0 ? "which it accepted" : `the agent exited ${off.exitCode}: ${off.output}`}): the host may still be ` +
                    `running its servers, so nothing was evacuated. Power it off by other means, then set fenced: true`,
            );
        }
        await new Promise((r) => setTimeout(r, o.intervalMs ?? 500));
    }
}

/** Powers the host on (it is back in service); returns once the device reports it on. */
export async function powerOn(host: string, device: FenceDevice, o: FenceOptions = {}): Promise<void> {
    if ((await powerStatus(host, device)) === "on") return;
    const on = await runFenceAgent(device, "on", { timeoutMs: o.timeoutMs ?? 60_000 });
    if (on.exitCode !== 0) throw new FenceError(host, `powering ${host} on through ${where(host, device)} failed (exit ${on.exitCode}): ${on.output}`);
}
