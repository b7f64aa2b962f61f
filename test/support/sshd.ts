// A real OpenSSH sshd on 127.0.0.1 for tests that need an SSH host but not the lab: own host key,
// own authorized key, started and stopped by its PID.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";

export interface LoopbackSshd {
    dir: string;
    port: number;
    privateKeyPath: string;
    knownHostsPath: string;
    stop(): Promise<void>;
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const port = (srv.address() as { port: number }).port;
            srv.close(() => resolve(port));
        });
    });
}

async function waitForPort(port: number, child: ChildProcess, log: string): Promise<void> {
    const { connect } = await import("node:net");
    for (let i = 0; i < 100; i++) {
        if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${readFileSync(log, "utf8")}`);
        const ok = await new Promise<boolean>((resolve) => {
            const s = connect(port, "127.0.0.1");
            s.once("connect", () => (s.destroy(), resolve(true)));
            s.once("error", () => resolve(false));
        });
        if (ok) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`sshd did not listen on 127.0.0.1:${port} within 10 s`);
}

export async function startLoopbackSshd(): Promise<LoopbackSshd> {
    const dir = mkdtempSync(path.join(tmpdir(), "livemig-sshd-"));
    const port = await freePort();
    const key = (name: string) => execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, name)]);
    key("host_key");
    key("client_key");
    writeFileSync(path.join(dir, "authorized_keys"), readFileSync(path.join(dir, "client_key.pub")));
    const hostPub = readFileSync(path.join(dir, "host_key.pub"), "utf8").trim().split(" ");
    writeFileSync(path.join(dir, "known_hosts"), `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`);
    writeFileSync(
        path.join(dir, "sshd_config"),
        [
            `Port ${port}`,
            "ListenAddress 127.0.0.1",
            `HostKey ${dir}/host_key`,
            `AuthorizedKeysFile ${dir}/authorized_keys`,
            `PidFile ${dir}/sshd.pid`,
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
        ].join("\n") + "\n",
    );
    const log = path.join(dir, "sshd.log");
    // sshd needs its privilege-separation directory.
    execFileSync("mkdir", ["-p", "/run/sshd"]);
    const child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", path.join(dir, "sshd_config"), "-E", log], {
        stdio: "ignore",
    });
    await waitForPort(port, child, log);
    return {
        dir,
        port,
        privateKeyPath: path.join(dir, "client_key"),
        knownHostsPath: path.join(dir, "known_hosts"),
        async stop() {
            if (child.exitCode === null) {
                const exited = new Promise((r) => child.once("exit", r));
                child.kill("SIGTERM");
                await exited;
            }
            rmSync(dir, { recursive: true, force: true });
        },
    };
}
