// waitFor: deadline with the last value, early failure, AbortSignal, backoff growth and cap.
import { describe, expect, it } from "vitest";
import { OpenStackConnectionError, WaitFailedError, WaitTimeoutError, waitFor } from "../../lib/openstack";
import { backoffDelay } from "../../lib/openstack/sleep";

describe("waitFor", () => {
    it("returns the first value that is done", async () => {
        let n = 0;
        const v = await waitFor("n to reach 3", async () => ++n, (x) => x >= 3, { timeoutMs: 5000, intervalMs: 10 });
        expect(v).toBe(3);
    });

    it("times out with what it waited for, how long, and the last state", async () => {
        const t0 = Date.now();
        const err = await waitFor("the kettle to boil", async () => ({ temp: 42 }), () => false, {
            timeoutMs: 300,
            intervalMs: 50,
            describe: (v) => `${v.temp} °C`,
        }).catch((e) => e);
        expect(err).toBeInstanceOf(WaitTimeoutError);
        expect(err.message).toBe("Timed out after 300 ms waiting for the kettle to boil; last observed: 42 °C");
        expect(err).toMatchObject({ what: "the kettle to boil", timeoutMs: 300, lastState: "42 °C" });
        // It probes once more at the deadline, and not much later.
        expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
        expect(Date.now() - t0).toBeLessThan(1000);
    });

    it("stops early with the caller's reason", async () => {
        const err = await waitFor("server to be ACTIVE", async () => "ERROR", (s) => s === "ACTIVE", {
            timeoutMs: 10_000,
            fail: (s) => (s === "ERROR" ? "it is ERROR" : undefined),
        }).catch((e) => e);
        expect(err).toBeInstanceOf(WaitFailedError);
        expect(err.message).toBe("Gave up waiting for server to be ACTIVE: it is ERROR");
    });

    it("stops as soon as the signal aborts, with the signal's reason", async () => {
        const ac = new AbortController();
        setTimeout(() => ac.abort(new Error("operator cancelled")), 100);
        const t0 = Date.now();
        const err = await waitFor("forever", async () => 0, () => false, { timeoutMs: 60_000, intervalMs: 5000, signal: ac.signal }).catch((e) => e);
        expect(err.message).toBe("operator cancelled");
        expect(Date.now() - t0).toBeLessThan(1000);
    });

    it("propagates a probe's own error (e.g. the resource went away)", async () => {
        await expect(waitFor("x", async () => Promise.reject(new Error("gone")), () => true, { timeoutMs: 1000 })).rejects.toThrow("gone");
    });

    it("rides out an unreachable API until its deadline (nova-api restarting mid-move)", async () => {
        const down = () => new OpenStackConnectionError("GET", "http://nova/servers/1", "ECONNREFUSED");
        let calls = 0;
        const back = await waitFor("x", async () => (++calls <= 2 ? Promise.reject(down()) : "ACTIVE"), (v) => v === "ACTIVE", { timeoutMs: 5000, intervalMs: 10 });
        expect([back, calls]).toEqual(["ACTIVE", 3]);

        const t0 = Date.now();
        const err = await waitFor("x", async () => Promise.reject(down()), () => true, { timeoutMs: 300, intervalMs: 10, maxIntervalMs: 50 }).catch((e) => e);
        expect(err).toBeInstanceOf(OpenStackConnectionError); // still unreachable at the deadline: says so
        expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    });

    it("backs off exponentially with jitter, never beyond the cap", () => {
        const lo = () => 0;
        const hi = () => 0.999999;
        expect(backoffDelay(0, 1000, 10_000, 2, lo)).toBe(500);
        expect(backoffDelay(0, 1000, 10_000, 2, hi)).toBe(1000);
        expect(backoffDelay(3, 1000, 10_000, 2, hi)).toBe(8000);
        expect(backoffDelay(10, 1000, 10_000, 2, hi)).toBe(10_000);
        expect(backoffDelay(10, 1000, 10_000, 2, lo)).toBe(5000);
    });

    it("polls less and less often, up to the cap", async () => {
        const at: number[] = [];
        await waitFor("1.2 s to pass", async () => at.push(Date.now()), () => false, { timeoutMs: 1200, intervalMs: 50, maxIntervalMs: 300 }).catch(
            () => undefined,
        );
        const gaps = at.slice(1).map((t, i) => t - at[i]!);
        expect(at.length).toBeGreaterThan(4);
        expect(at.length).toBeLessThan(25);
        expect(Math.max(...gaps)).toBeLessThanOrEqual(350);
    });
});
