// Running a fence agent from Debian's fence-agents (fence_ipmilan, fence_redfish) on the machine that
// runs Pulumi, the way Pacemaker runs them: every option as `name=value` lines on stdin, so that no
// password reaches a command line. fence_ipmilan would still hand its password to ipmitool as `-P`, so
// it gets none: a wrapper named as its `ipmitool_path` runs ipmitool with `-E`, which reads the password
// from the environment (readable by root and the process owner only, unlike a command line).
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type FenceAgent = "fence_ipmilan" | "fence_redfish";

/** How a host is powered off and on (its BMC). */
export interface FenceDevice {
    agent: FenceAgent;
    /** The BMC's address. */
    address: string;
    /** UDP (IPMI, default 623) or TCP (Redfish, default 443) port. */
    port?: number;
    username: string;
    password: string;
    /** fence_ipmilan: IPMI 2.0 (RMCP+, `lanplus`); default true. IPMI 1.5 sends the password weakly hashed. */
    lanplus?: boolean;
    /** fence_ipmilan: the cipher suite (ipmitool -C); default the agent's. */
    cipher?: number;
    /** fence_ipmilan: the privilege level to log in with; default the agent's (administrator). */
    privilegeLevel?: "callback" | "user" | "operator" | "administrator";
    /** fence_redfish: the system's URI, e.g. /redfish/v1/Systems/System.Embedded.1; default: the first system. */
    systemsUri?: string;
    /** fence_redfish: a CA bundle the BMC's certificate must chain to; default the system's CAs. */
    caCertPath?: string;
    /** How long the agent itself waits for the new power state after on/off; default the agent's (20 s). */
    powerTimeoutSeconds?: number;
}

export type FenceAction = "status" | "off" | "on";

export interface AgentResult {
    /** 0 success (status: on), 2 status: off, 1 failure — the fence agents' convention. */
    exitCode: number | null;
    /** What the agent said, its own log lines included; never holds the password (it is not echoed). */
    output: string;
    /** For status: what the device reports. */
    power?: "on" | "off";
}

/** The agent's stdin: one option per line (the values are checked for line breaks by the config schema). */
export function agentOptions(device: FenceDevice, action: FenceAction, ipmitoolPath?: string): string {
    const o: [string, string | number | undefined][] = [
        ["action", action],
        ["ip", device.address],
        ["ipport", device.port],
        ["username", device.username],
        ["power_timeout", device.powerTimeoutSeconds],
    ];
    if (device.agent === "fence_ipmilan") {
        o.push(["lanplus", device.lanplus === false ? "0" : "1"], ["cipher", device.cipher], ["privlvl", device.privilegeLevel], ["ipmitool_path", ipmitoolPath]);
    } else {
        o.push(["password", device.password], ["systems_uri", device.systemsUri]);
    }
    for (const [k, v] of o) {
        if (typeof v === "string" && /[\r\n]/.test(v)) throw new Error(`fence device option ${k}: a value must not contain a line break`);
    }
    return o.filter(([, v]) => v !== undefined && v !== "").map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}

let wrapper: string | undefined;
/** The ipmitool wrapper (no secret in it), written once per process into a private directory. */
function ipmitoolWrapper(): string {
    if (wrapper) return wrapper;
    const dir = mkdtempSync(join(tmpdir(), "livemig-fence-"));
    const path = join(dir, "ipmitool");
    writeFileSync(
        path,
        [
            "#!/bin/sh",
            "# fence_ipmilan passes -P <password>; drop it and let ipmitool read IPMI_PASSWORD (-E).",
            "for a do",
            "  shift",
            '  if [ -n "${skip:-}" ]; then skip=; continue; fi',
            '  if [ "$a" = -P ]; then skip=1; continue; fi',
            '  set -- "$@" "$a"',
            "done",
            'exec ipmitool -E "$@"',
            "",
        ].join("\n"),
    );
    chmodSync(path, 0o700);
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    wrapper = path;
    return path;
}

export interface RunAgentOptions {
    /** Kill the agent after this long; default 60 s (fence_ipmilan alone waits up to 20 s for "off"). */
    timeoutMs?: number;
}

/** Runs the device's agent once; resolves with its exit code and output, never with the password. */
export function runFenceAgent(device: FenceDevice, action: FenceAction, o: RunAgentOptions = {}): Promise<AgentResult> {
    const ipmi = device.agent === "fence_ipmilan";
    const stdin = agentOptions(device, action, ipmi ? ipmitoolWrapper() : undefined);
    const env: Record<string, string> = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C" };
    if (ipmi) env.IPMI_PASSWORD = device.password;
    if (device.caCertPath) env.REQUESTS_CA_BUNDLE = device.caCertPath;
    return new Promise((resolve, reject) => {
        const child = spawn(device.agent, [], { env, stdio: ["pipe", "pipe", "pipe"] });
        let output = "";
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            output += `\n(killed: no answer within ${(o.timeoutMs ?? 60_000) / 1000} s)`;
        }, o.timeoutMs ?? 60_000);
        child.stdout.on("data", (d: Buffer) => (output += d.toString()));
        // The agents' own warnings (a Python deprecation) are noise in every message.
        child.stderr.on("data", (d: Buffer) => (output += d.toString().replace(/^.*DeprecationWarning.*\n(\s+from pipes import quote\n)?/gm, "")));
        child.on("error", (err: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            reject(
                err.code === "ENOENT"
                    ? new Error(`${device.agent} is not installed on the machine running Pulumi: install Debian's fence-agents (and ipmitool for fence_ipmilan)`)
                    : err,
            );
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            const status = /Status: (ON|OFF)/.exec(output)?.[1];
            // Their log lines carry a timestamp and a usage hint that say nothing here.
            const said = output.replace(/^\d{4}-\d\d-\d\d [\d:,]+ /gm, "").replace(/^ERROR: Please use '-h' for usage\n?/gm, "").trim();
            resolve({ exitCode: code, output: said, power: status === "ON" ? "on" : status === "OFF" ? "off" : undefined });
        });
        child.stdin.end(stdin);
    });
}
