// Driving the lab from tests: its hosts (lab/hosts/hosts) and commands run inside them.
import { execFile, spawn } from "node:child_process";
import { copyFileSync, existsSync, rmSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { pulumiCommand, pulumiEnv, repoRoot } from "./env";

const run = promisify(execFile);
const LAB = path.join(repoRoot, "lab/lab");

/** `lab/lab hosts <args>`; resolves with stdout, rejects with the output when it fails. */
export async function labHosts(...args: string[]): Promise<string> {
    const { stdout } = await run(LAB, ["hosts", ...args], { maxBuffer: 16 << 20 });
    return stdout;
}

export interface Result {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs a bash script inside a lab host (as root); never throws on a non-zero exit. */
export async function onHost(host: string, script: string): Promise<Result> {
    try {
        const { stdout, stderr } = await run(LAB, ["hosts", "exec", host, "--", "bash", "-c", script], { maxBuffer: 16 << 20 });
        return { code: 0, stdout, stderr };
    } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
    }
}

/** Like onHost, but the script must succeed; returns its trimmed stdout. */
export async function mustOnHost(host: string, script: string): Promise<string> {
    const r = await onHost(host, script);
    if (r.code !== 0) throw new Error(`${host}: \`${script}\` exited ${r.code}: ${r.stderr || r.stdout}`);
    return r.stdout.trim();
}

/**
 * The lab's hosts for a test that configures them with its own stack: every host running (a host a test
 * powered off is booted from its state), and no other stack's automatic recovery armed on the computes
 * (the lab stack's Masakari monitors and Pacemaker would act on this test's kills). What other stacks
 * configured stays: the test's own `pulumi up` converges it. Cheaper than `hosts down`/`up` (bare hosts,
 * configured again from nothing), which only the tests of a bare host's configuration need.
 */
export async function labHostsForTest(computes: string[]): Promise<void> {
    await labHosts("up");
    const units = "masakari-host-monitor masakari-instance-monitor masakari-process-monitor pacemaker corosync";
    // No other stack's cluster (the lab stack's) is left on them: its daemons stopped and its files gone, as
    // when a host leaves a segment, so a test that declares HA sets up a cluster of its own.
    const files = "/etc/corosync/corosync.conf /etc/corosync/authkey /var/lib/pacemaker/cib/cib*";
    // On all hosts at once, and only where one of them is enabled or running: `systemctl disable` reloads
    // systemd (~4 s a host), which most files' start would pay for nothing.
    const stop = `for u in ${units}; do if systemctl is-enabled --quiet "$u" 2>/dev/null || systemctl is-active --quiet "$u"; then systemctl disable --now --quiet ${units} 2>/dev/null || true; break; fi; done`;
    await Promise.all(computes.map((host) => mustOnHost(host, `${stop}; rm -f ${files}`)));
}

/** Polls `check` (bounded) until it returns true. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 1000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await check()) return;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
        await new Promise((r) => setTimeout(r, everyMs));
    }
}

/**
 * A throw-away stack of the main project with the lab stack's config (stacks/Pulumi.lab.yaml), so tests
 * never touch the user's own `lab` stack. It keeps the lab file's encryption salt and uses the lab's
 * passphrase, so the lab's secrets (the BMC passwords) decrypt in it too. Without `ha: true` it leaves out
 * the lab stack's automatic recovery.
 */
export async function labTestStack(name: string, o: { ha?: boolean } = {}): Promise<{ stack: Stack; remove(): Promise<void> }> {
    const stackName = `test-${name}-${process.pid}`;
    const stack = await openLabStack(stackName, o);
    return { stack, remove: () => removeLabStack(stackName, false) };
}

const stackFile = (stackName: string) => path.join(repoRoot, "stacks", `Pulumi.${stackName}.yaml`);

async function labStackOptions() {
    const { PULUMI_CONFIG_PASSPHRASE: _p, ...env } = pulumiEnv("lab-tests");
    return { envVars: { ...env, PULUMI_CONFIG_PASSPHRASE_FILE: path.join(repoRoot, "stacks/lab.passphrase") }, pulumiCommand: await pulumiCommand() };
}

/**
 * A stack of the main project with the lab stack's config, by name: a file's own (labTestStack) or its
 * lane's, `inject("laneStack")` (test/support/laneStack.ts). A lane's files that take the real computes one
 * after the other share it: each sets the config it needs and its first `up` converges what the file
 * before left (its servers, its cluster), while the hosts' configuration stays (the CA, the certificates,
 * nova-compute), so no file restarts every libvirtd and nova-compute again. The lane's end destroys it.
 */
export async function openLabStack(stackName: string, o: { ha?: boolean } = {}): Promise<Stack> {
    copyFileSync(path.join(repoRoot, "stacks/Pulumi.lab.yaml"), stackFile(stackName));
    const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: repoRoot }, await labStackOptions());
    // Automatic recovery only where a test is about it: elsewhere it would race the test's own moves.
    if (!o.ha) await stack.removeConfig("ha");
    return stack;
}

/** Removes a stack of openLabStack, and its config file; with `destroy`, what it configured first. */
export async function removeLabStack(stackName: string, destroy: boolean): Promise<void> {
    const file = stackFile(stackName);
    if (!existsSync(file)) return;
    const stack = await LocalWorkspace.selectStack({ stackName, workDir: repoRoot }, await labStackOptions());
    if (destroy) {
        await stack.destroy().catch((err: Error) => {
            console.error(`${stackName}: pulumi destroy failed (what it configured stays on the lab's hosts; the next test's up converges it):\n${err.message}`);
        });
    }
    await stack.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
    rmSync(file, { force: true });
}

/** A throw-away stack of the main project with the given config (no hosts file), for cloud-side tests. */
export async function configuredTestStack(name: string, config: Record<string, unknown>): Promise<{ stack: Stack; remove(): Promise<void> }> {
    const stackName = `test-${name}-${process.pid}`;
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName, workDir: repoRoot },
        { envVars: pulumiEnv("lab-tests"), pulumiCommand: await pulumiCommand() },
    );
    await setStackConfig(stack, config);
    return {
        stack,
        async remove() {
            await stack.workspace.removeStack(stackName, { force: true }).catch(() => undefined);
            rmSync(stackFile(stackName), { force: true });
        },
    };
}

/**
 * Sets every `livemig:<key>` from a plain object (objects as JSON, like `pulumi config set --path`); the
 * keys in `secret` are stored as secrets (fenceDevices: it holds BMC passwords), their values given to the
 * CLI on stdin: the Automation API's setConfig would put them on its command line, where `ps` shows them.
 */
export async function setStackConfig(stack: Stack, config: Record<string, unknown>, secret: string[] = []): Promise<void> {
    const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
    const plain = Object.entries(config).filter(([k]) => !secret.includes(k));
    if (plain.length) await stack.setAllConfig(Object.fromEntries(plain.map(([k, v]) => [k, { value: text(v) }])));
    for (const key of secret.filter((k) => k in config)) await setSecretConfig(stack, key, text(config[key]));
}

async function setSecretConfig(stack: Stack, key: string, value: string): Promise<void> {
    const ws = stack.workspace as LocalWorkspace;
    const cli = (await pulumiCommand()).command;
    await new Promise<void>((resolve, reject) => {
        const p = spawn(cli, ["config", "set", "--secret", "--stack", stack.name, `livemig:${key}`], {
            cwd: ws.workDir,
            env: { ...process.env, ...ws.envVars },
            stdio: ["pipe", "ignore", "pipe"],
        });
        let err = "";
        p.stderr.on("data", (d: Buffer) => (err += d.toString()));
        p.on("error", reject);
        p.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`pulumi config set --secret livemig:${key} (stack ${stack.name}) exited ${code}: ${err}`))));
        p.stdin.end(value);
    });
}

/** A host's BMC in the lab (lab/bmc), as a fence device of the stack config. */
export async function labFenceDevice(host: string, agent: "fence_ipmilan" | "fence_redfish" = "fence_ipmilan"): Promise<Record<string, unknown>> {
    const [address, username, password] = (await run(path.join(repoRoot, "lab/bmc/bmc"), ["login", host])).stdout.trim().split(" ");
    return { host, agent, address, username, password, ...(agent === "fence_redfish" ? { caCertPath: "/var/lib/livemig-lab/bmc/ca.crt" } : {}) };
}

/** `lab/lab bmc <args>`: up, power NAME status|on|off, fault NAME ignore-off|none */
export async function labBmc(...args: string[]): Promise<string> {
    const { stdout } = await run(LAB, ["bmc", ...args], { maxBuffer: 16 << 20 });
    return stdout;
}

/** `lab/guest/guest <args>` (build, register) */
export async function labGuest(...args: string[]): Promise<string> {
    const { stdout } = await run(path.join(repoRoot, "lab/guest/guest"), args, { maxBuffer: 16 << 20 });
    return stdout;
}

/** `lab/lab openstack <args>` */
export async function labOpenStack(...args: string[]): Promise<string> {
    const { stdout } = await run(LAB, ["openstack", ...args], { maxBuffer: 16 << 20 });
    return stdout;
}

/** The real openstackclient against the lab cloud; parsed JSON output. */
export async function openstackCli<T = Record<string, unknown>>(...args: string[]): Promise<T> {
    return JSON.parse(await openstackRun(...args, "-f", "json")) as T;
}

/** The real openstackclient against the lab cloud, for commands without output; returns stdout. */
export async function openstackRun(...args: string[]): Promise<string> {
    const { stdout } = await run("openstack", ["--os-cloud", "livemig-lab", ...args], { maxBuffer: 16 << 20 });
    return stdout;
}

/** Whether a lab host is powered on (its PID 1 runs). */
export async function labHostRunning(host: string): Promise<boolean> {
    return labHosts("pid", host).then(() => true, () => false);
}

/** Running copies of a guest on each powered-on host, as libvirt there sees it (a powered-off host runs none). */
export async function runningCopies(serverId: string, hosts: string[]): Promise<Record<string, number>> {
    const copies: Record<string, number> = {};
    for (const host of hosts) {
        if (!(await labHostRunning(host))) continue;
        // A failing virsh is an error, never "no copy": the callers prove that a guest runs exactly once.
        copies[host] = (await mustOnHost(host, "virsh -q list --uuid")).split("\n").filter((l) => l.trim() === serverId).length;
    }
    return copies;
}
