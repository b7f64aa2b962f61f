// Runs a shell script on a host over SSH (ssh2), with host-key checking and bounded connect retries.
// The script travels on stdin, never on a command line, and secrets after it on the same stdin: nothing of
// either shows up in the remote `ps` or in a shell history.
import type { Client, ClientCallback, ConnectConfig } from "ssh2";
import { keysFor } from "./knownHosts";

export interface SshTarget {
    /** Name used in messages (the host's name in the config). */
    name: string;
    address: string;
    port: number;
    user: string;
}

export interface SshCredentials {
    privateKey: string;
    /** known_hosts text; when absent, host keys are not checked. */
    knownHosts?: string;
}

export interface RunOptions {
    /** What the script is for, in error messages: "configure libvirtd". */
    step: string;
    /** Bytes the script can read on its stdin after it started (secrets). */
    stdin?: string;
    /** How long to keep retrying a host that does not accept connections yet. */
    connectTimeoutMs?: number;
}

export interface RunResult {
    stdout: string;
    stderr: string;
}

// These classes run inside dynamic providers, whose closure serialization turns classes into functions:
// `super(message)` then no longer sets `message`, so every constructor sets it itself.

/** The host could not be reached or refused us (after retries, or at once for auth/host key problems). */
export class SshConnectError extends Error {
    constructor(
        readonly target: SshTarget,
        readonly cause: Error,
        /** The step that needed the connection, when known: "configure libvirtd". */
        readonly step?: string,
    ) {
        const message =
            `${step ? `${target.name}: step "${step}" could not start: ` : ""}cannot SSH to ${target.name} (${target.user}@${target.address}:${target.port}): ${cause.message}; ` +
            `check that the host is up and that the stack's ssh settings (key, known_hosts) are right`;
        super(message);
        this.message = message;
        this.name = "SshConnectError";
    }
}

/** The script ran and failed. */
export class ScriptError extends Error {
    constructor(
        readonly target: SshTarget,
        readonly step: string,
        readonly exitCode: number | null,
        readonly stdout: string,
        readonly stderr: string,
    ) {
        const tail = stderr.trim().split("\n").slice(-15).join("\n      ");
        const message =
            `${target.name}: step "${step}" failed with exit code ${exitCode ?? "none (killed)"}` +
            (tail ? `:\n      ${tail}` : " and printed nothing on stderr");
        super(message);
        this.message = message;
        this.name = "ScriptError";
    }
}

// The fixed command line: read the script's length, then the script, then run it; its stdin is what is left.
const BOOTSTRAP = `bash -c 'IFS= read -r n && s=$(head -c "$n") && exec bash -c "$s" livemig-script'`;

// "… during the SSH handshake": sshd went away after it answered (a host dying or rebooting).
const RETRYABLE = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|Timed out while waiting for handshake|No route to host|Connection lost before handshake|during the SSH handshake/;

function connectOnce(target: SshTarget, creds: SshCredentials): Promise<Client> {
    const { Client: SshClient } = require("ssh2") as typeof import("ssh2");
    return new Promise((resolve, reject) => {
        const client = new SshClient();
        const config: ConnectConfig = {
            host: target.address,
            port: target.port,
            username: target.user,
            privateKey: creds.privateKey,
            readyTimeout: 10_000,
            keepaliveInterval: 15_000,
        };
        let hostKeyProblem: Error | undefined;
        if (creds.knownHosts !== undefined) {
            const known = keysFor(creds.knownHosts, target.address, target.port);
            config.hostVerifier = (key: Buffer) => {
                if (known.some((k) => k.key === key.toString("base64"))) return true;
                hostKeyProblem = new Error(
                    known.length === 0
                        ? `no known_hosts entry for ${target.address}; add its host key to the known_hosts file`
                        : `the host key of ${target.address} does not match known_hosts (possible man-in-the-middle, or the host was reinstalled)`,
                );
                return false;
            };
        }
        client
            .once("ready", () => resolve(client))
            .once("error", (err: Error) => {
                client.end();
                reject(hostKeyProblem ?? err);
            })
            // ssh2 emits only "close", no "error", when the server closes the connection after its banner
            // (sshd killed mid-handshake): without this the promise never settled and `pulumi up` hung.
            // After "ready" or "error" the promise is settled and this does nothing.
            .once("close", () => reject(hostKeyProblem ?? new Error("the host closed the connection during the SSH handshake")))
            .connect(config);
    });
}

export async function connect(target: SshTarget, creds: SshCredentials, timeoutMs = 60_000): Promise<Client> {
    const deadline = Date.now() + timeoutMs;
    let delay = 250;
    for (;;) {
        try {
            return await connectOnce(target, creds);
        } catch (err) {
            const e = err as Error;
            if (!RETRYABLE.test(e.message) || Date.now() + delay > deadline) throw new SshConnectError(target, e);
            await new Promise((r) => setTimeout(r, delay));
            delay = Math.min(delay * 2, 5_000);
        }
    }
}

/** Runs one script on an open connection (see runScript). */
function execOn(client: Client, target: SshTarget, script: string, opts: RunOptions): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
        const onChannel: ClientCallback = (err, channel) => {
            if (err) return reject(new SshConnectError(target, err, opts.step));
            const out: Buffer[] = [];
            const errs: Buffer[] = [];
            channel.on("data", (d: Buffer) => out.push(d));
            channel.stderr.on("data", (d: Buffer) => errs.push(d));
            channel.on("close", (code: number | null) => {
                const stdout = Buffer.concat(out).toString("utf8");
                const stderr = Buffer.concat(errs).toString("utf8");
                if (code === 0) resolve({ stdout, stderr });
                else reject(new ScriptError(target, opts.step, code, stdout, stderr));
            });
            channel.end(`${Buffer.byteLength(script)}\n${script}${opts.stdin ?? ""}`);
        };
        try {
            client.exec(BOOTSTRAP, onChannel);
        } catch (err) {
            // ssh2 throws "Not connected" when the connection closed since it was opened (a host gone).
            reject(new SshConnectError(target, err as Error, opts.step));
        }
    });
}

/** Runs `script` with bash on `target`; resolves with its output, or rejects with ScriptError/SshConnectError. */
export async function runScript(
    target: SshTarget,
    creds: SshCredentials,
    script: string,
    opts: RunOptions,
): Promise<RunResult> {
    try {
        return await withSession(target, creds, opts.connectTimeoutMs, (run) => run(script, opts));
    } catch (err) {
        // Name the step in the error: "n3: step "mount the brick disk" could not start: cannot SSH to n3 …".
        if (err instanceof SshConnectError && !err.step) throw new SshConnectError(err.target, err.cause, opts.step);
        throw err;
    }
}

/** An open connection that runs several scripts, each in its own channel (as runScript runs one). */
export interface SshSession {
    run(script: string, opts: RunOptions): Promise<RunResult>;
    close(): void;
}

/** Opens a connection for several scripts: the connection and key exchange are the costly part of a short script. */
export async function openSession(target: SshTarget, creds: SshCredentials, connectTimeoutMs?: number): Promise<SshSession> {
    const client = await connect(target, creds, connectTimeoutMs);
    return { run: (script, opts) => execOn(client, target, script, opts), close: () => client.end() };
}

export async function withSession<T>(
    target: SshTarget,
    creds: SshCredentials,
    connectTimeoutMs: number | undefined,
    use: (run: SshSession["run"]) => Promise<T>,
): Promise<T> {
    const session = await openSession(target, creds, connectTimeoutMs);
    try {
        return await use(session.run);
    } finally {
        session.close();
    }
}
