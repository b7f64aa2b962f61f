import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { controllerSettingsText, novaCompute, parseIni } from "../../lib/hostscripts/novaCompute";
import { secretsStdin, withPrelude } from "../../lib/hostscripts/prelude";

describe("the control plane's settings for computes", () => {
    it("are read from nova.conf syntax in order, comments skipped, DEFAULT before any header", () => {
        const text = "# generated\ntransport_url = rabbit://u:p@10.77.0.1:5672/\n[placement]\nauth_url = http://10.77.0.1:5000/v3\npassword = a=b\n\n; comment\n[vnc]\nenabled = false\n";
        expect(parseIni(text)).toEqual([
            ["DEFAULT", "transport_url", "rabbit://u:p@10.77.0.1:5672/"],
            ["placement", "auth_url", "http://10.77.0.1:5000/v3"],
            ["placement", "password", "a=b"],
            ["vnc", "enabled", "false"],
        ]);
    });

    it("travel as tab-separated lines, and refuse values that would break the format", () => {
        expect(controllerSettingsText([["DEFAULT", "a", "1"], ["x", "b", "two words"]])).toBe("DEFAULT\ta\t1\nx\tb\ttwo words");
        expect(() => controllerSettingsText([["DEFAULT", "a", "line\nbreak"]])).toThrow(/tabs and newlines are not allowed/);
    });
});

describe("the nova-compute step", () => {
    // The real script by bash, twice (the second run changes nothing in nova.conf), against a stub systemctl
    // whose units became active at the given monotonic times; it records what the script asked of it.
    function secondRun(libvirtdSince: number, novaComputeSince: number) {
        const dir = mkdtempSync(path.join(tmpdir(), "livemig-nova-"));
        writeFileSync(path.join(dir, "nova.conf"), "[DEFAULT]\n");
        writeFileSync(
            path.join(dir, "systemctl"),
            `#!/bin/bash
echo "$*" >> ${dir}/calls
case "$*" in
  *ActiveEnterTimestampMonotonic*libvirtd.service) echo ${libvirtdSince} ;;
  *ActiveEnterTimestampMonotonic*nova-compute.service) echo ${novaComputeSince} ;;
  *ActiveEnterTimestamp*) echo "Fri 2026-12-04 04:22:58 UTC" ;;
esac
exit 0
`,
        );
        chmodSync(path.join(dir, "systemctl"), 0o755);
        const script = withPrelude(novaCompute({ configPath: path.join(dir, "nova.conf"), host: "compute-1", address: "10.77.0.11", instancesPath: path.join(dir, "instances"), virtType: "qemu", cpuMode: "none" }).create);
        const run = () => spawnSync("bash", ["-c", script], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, input: secretsStdin(["DEFAULT\ttransport_url\trabbit://lab"]), encoding: "utf8" });
        const first = run();
        writeFileSync(path.join(dir, "calls"), "");
        const r = run();
        const calls = readFileSync(path.join(dir, "calls"), "utf8");
        rmSync(dir, { recursive: true, force: true });
        return { first, ...r, restarts: calls.split("\n").filter((c) => c === "restart nova-compute.service").length };
    }

    it("restarts nova-compute when libvirtd started after it, so that it connects now and not at its next periodic task", () => {
        const r = secondRun(2_000_000, 1_000_000);
        expect(r.first.status, r.first.stderr).toBe(0);
        expect(r.status, r.stderr).toBe(0);
        expect(r.restarts).toBe(1);
        expect(r.stdout).toContain("nova-compute restarted: libvirtd restarted after it");
        expect(r.stdout).toContain("nova-compute active since 2026-12-04T04:22:58Z");
    });

    it("leaves a nova-compute alone that started after libvirtd and whose settings did not change", () => {
        const r = secondRun(1_000_000, 2_000_000);
        expect(r.status, r.stderr).toBe(0);
        expect(r.restarts).toBe(0);
        expect(r.stdout).not.toContain("restarted");
    });
});
