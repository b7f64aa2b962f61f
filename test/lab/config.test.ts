// Bad config stops the real program before any resource is registered (the unit table covers each rule).
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pulumiCommand, pulumiEnv, repoRoot } from "../support/env";

describe("config validation in the real engine", () => {
    let stack: Stack;

    beforeAll(async () => {
        stack = await LocalWorkspace.createOrSelectStack(
            { stackName: `badconfig-${process.pid}`, workDir: repoRoot },
            { envVars: pulumiEnv("config-test"), pulumiCommand: await pulumiCommand() },
        );
        await stack.setAllConfig({
            ssh: { value: JSON.stringify({ privateKeyPath: "/nonexistent/key", port: "22" }) },
            hosts: {
                value: JSON.stringify([
                    { name: "compute-1", address: "10.77.0.11", roles: ["compute"] },
                    { name: "compute-1", address: "10.77.0.11; reboot", roles: ["compute"], flavour: "x" },
                ]),
            },
        });
    });

    afterAll(async () => {
        await stack?.workspace.removeStack(stack.name, { force: true }).catch(() => undefined);
    });

    it("rejects every problem at once, path-first, and registers nothing", async () => {
        const err = await stack.up().then(
            () => undefined,
            (e: Error) => e,
        );
        expect(err).toBeDefined();
        const text = String(err);
        expect(text).toContain("has 4 problems; nothing was changed");
        expect(text).toContain("✖ Invalid input: expected number, received string\n        → at ssh.port");
        expect(text).toContain('→ at hosts[1].address');
        expect(text).toContain('✖ unknown key "flavour"; allowed here: name, address, roles, ssh\n        → at hosts[1].flavour');
        expect(text).toContain('✖ duplicate host name "compute-1": already used by hosts[0]\n        → at hosts[1].name');
        expect(text).not.toMatch(/at .*\.ts:\d+/); // no stack trace for a config mistake

        const state = await stack.exportStack();
        const resources = (state.deployment?.resources ?? []) as { type: string }[];
        // At most the stack itself: no component, host script or cloud object was registered.
        expect(resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).toEqual([]);
    });
});
