// The lab guest's console as the tests read it: ticks, boot banners, and what the kernel said before a reboot.
import { describe, expect, it } from "vitest";
import { assertNoReboot, parseConsole } from "../support/guest";

const RAN_ON = ["LIVEMIG-GUEST TICK 41 UPTIME 52.10", "LIVEMIG-GUEST TICK 42 UPTIME 53.11"].join("\n");

// What a guest printed when a live migration lost its writes (QEMU 7.2 under TCG), shortened.
const PANICKED = [
    "LIVEMIG-GUEST TICK 41 UPTIME 52.10",
    "[   53.402113] BUG: kernel NULL pointer dereference, address: 0000000000000008",
    "[   53.402530] Oops: 0000 [#1] PREEMPT SMP NOPTI",
    "[   53.403001] RIP: 0010:rb_erase+0x1b5/0x380",
    "[   53.403400] Call Trace:",
    "[   53.403410]  timerqueue_del+0x2e/0x50",
    "[   53.403420]  __hrtimer_run_queues+0x13d/0x2c0",
    "[   53.404000] Kernel panic - not syncing: Fatal exception in interrupt",
    "LIVEMIG-GUEST BOOT 2",
    "LIVEMIG-GUEST PREVIOUS-TICK 41",
    "LIVEMIG-GUEST TICK 42 UPTIME 1.20",
].join("\n");

describe("the lab guest's console", () => {
    it("reads ticks, boots and the previous tick", () => {
        const c = parseConsole(PANICKED);
        expect(c.ticks.map((t) => t.tick)).toEqual([41, 42]);
        expect(c.boots).toEqual([2]);
        expect(c.previousTick).toBe(41);
    });

    it("passes a guest that ran on", () => {
        expect(() => assertNoReboot(parseConsole(RAN_ON), "vm-a")).not.toThrow();
    });

    it("fails a guest that booted again with what its kernel said first", () => {
        expect(() => assertNoReboot(parseConsole(PANICKED), "vm-a")).toThrow(
            /vm-a booted again \(boot banner 2\).*BUG: kernel NULL pointer dereference.*RIP: 0010:rb_erase.*timerqueue_del.*Kernel panic/,
        );
    });

    it("says so when the console holds no Oops", () => {
        expect(() => assertNoReboot(parseConsole(`${RAN_ON}\nLIVEMIG-GUEST BOOT 3`), "vm-a")).toThrow(/no Oops or panic in the console's last 200 lines/);
    });
});
