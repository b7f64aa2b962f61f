// lib/ssh/exec.ts against real sockets on loopback that behave like a host dying under us: sshd answering
// with its banner and then gone (killed mid-handshake) once hung `pulumi up` forever, because ssh2 reports
// that only as "close", never as "error". And the window a refresh gives a host that does not answer.
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { Server as SshServer, utils } from "ssh2";
import { afterEach, expect, it } from "vitest";
import { connect, openSession, SshConnectError } from "../../lib/ssh/exec";
import { READ_CONNECT_MS, RemoteScriptProvider } from "../../providers/remoteScript";

const creds = { privateKey: utils.generateKeyPairSync("ed25519").private };
const servers: Server[] = [];

/** A TCP server that does `behave` with every connection; resolves with the connections counter. */
async function listen(behave: (s: Socket) => void): Promise<{ port: number; connections: () => number }> {
    let n = 0;
    const server = createServer((s) => {
        n++;
        behave(s);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { port: (server.address() as AddressInfo).port, connections: () => n };
}

afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function connectError(port: number, timeoutMs: number): Promise<SshConnectError> {
    const err = await connect({ name: "n3", address: "127.0.0.1", port, user: "root" }, creds, timeoutMs).then(
        () => undefined,
        (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SshConnectError);
    return err as SshConnectError;
}

it("fails, after retrying, when sshd closes the connection after its banner", async () => {
    const { port, connections } = await listen((s) => {
        s.write("SSH-2.0-OpenSSH_9.2p1\r\n");
        setTimeout(() => s.destroy(), 50);
    });
    const t0 = Date.now();
    const err = await connectError(port, 2_000);
    expect(err.message).toMatch(/^cannot SSH to n3 \(root@127\.0\.0\.1:\d+\): the host closed the connection during the SSH handshake;/);
    // Retried (a rebooting host's sshd comes back), and gave up at the deadline, not at ssh2's 10-s ready timeout.
    expect(connections()).toBeGreaterThan(1);
    expect(Date.now() - t0).toBeLessThan(8_000);
});

it("fails, after retrying, when the connection closes before any banner", async () => {
    const { port, connections } = await listen((s) => s.destroy());
    const err = await connectError(port, 1_000);
    expect(err.message).toContain("Connection lost before handshake");
    expect(connections()).toBeGreaterThan(1);
});

it("a session whose connection is gone fails its next script naming the host and the step", async () => {
    // A real SSH server (ssh2's) that lets anyone in: the session is open, then its connection closes.
    const server = new SshServer({ hostKeys: [utils.generateKeyPairSync("ed25519").private] }, (c) => {
        c.on("authentication", (ctx) => ctx.accept()).on("error", () => undefined);
    });
    servers.push(server as unknown as Server);
    const port = await new Promise<number>((r) => server.listen(0, "127.0.0.1", () => r((server.address() as AddressInfo).port)));
    const session = await openSession({ name: "n3", address: "127.0.0.1", port, user: "root" }, creds, 2_000);
    session.close();
    const err = await session.run("true", { step: "start glusterd" }).then(
        () => undefined,
        (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SshConnectError);
    expect((err as Error).message).toMatch(/^n3: step "start glusterd" could not start: cannot SSH to n3 \(root@127\.0\.0\.1:\d+\): Not connected;/);
});

it("a refresh's check of a host that does not answer keeps its last state after READ_CONNECT_MS, not the stack's whole connect window", async () => {
    // A port that refuses: sshd not listening, as on a host that is down (the lab's dead hosts answer
    // EHOSTUNREACH instead; both keep the last state).
    const { port } = await listen(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    const provider = new RemoteScriptProvider();
    const ssh = JSON.stringify({ privateKey: creds.privateKey, connectTimeoutSeconds: 60 });
    await provider.configure({ config: { get: (k: string) => (k === "ssh" ? ssh : undefined), require: () => ssh } } as never);
    const props = { host: { name: "compute-1", address: "127.0.0.1", port, user: "root" }, step: "configure libvirtd", create: "true", check: "true", drift: [], stdout: "" };
    const t0 = Date.now();
    expect(await provider.read("compute-1:configure libvirtd", props)).toEqual({ id: "compute-1:configure libvirtd", props });
    // Gave up within the read's window (10 s), where a converge would keep trying for the configured 60 s.
    expect(Date.now() - t0).toBeLessThan(READ_CONNECT_MS + 2_000);
    expect(Date.now() - t0).toBeGreaterThan(1_000); // and did retry
}, 30_000);
