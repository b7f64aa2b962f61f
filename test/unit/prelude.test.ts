// The host-script primitives, run by real bash on real files (the lab tests run them on the hosts).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cmd, hostScript, secretsStdin, withPrelude } from "../../lib/hostscripts/prelude";
import { shq } from "../../lib/hostscripts/quote";

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "livemig-prelude-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(body: string, stdin = ""): string {
    return execFileSync("bash", ["-c", withPrelude(hostScript("test", body))], { input: stdin, encoding: "utf8" });
}

const NOVA_CONF = `[DEFAULT]
# live_migration_flag = commented, stays
live_migration_flag=VIR_MIGRATE_UNDEFINE_SOURCE,VIR_MIGRATE_PEER2PEER,VIR_MIGRATE_LIVE
debug = false

[libvirt]
virt_type = qemu
live_migration_scheme = tcp

[vnc]
enabled = false
`;

describe("ini primitives", () => {
    it("edit in place, keep comments and other lines, and report changes only when they edit", () => {
        const f = path.join(dir, "nova.conf");
        writeFileSync(f, NOVA_CONF);
        const body = [
            `ini_set ${cmd(f, "libvirt", "live_migration_scheme", "tls")}`,
            `ini_set ${cmd(f, "libvirt", "live_migration_inbound_addr", "10.77.0.11")}`,
            `ini_set ${cmd(f, "DEFAULT", "max_concurrent_live_migrations", "2")}`,
            `ini_set ${cmd(f, "workarounds", "x", "y")}`,
            `ini_unset ${cmd(f, "DEFAULT", "live_migration_flag")}`,
            `echo "changed=\${#CHANGED[@]}"`,
        ].join("\n");
        expect(run(body)).toMatch(/changed=5/);
        const text = readFileSync(f, "utf8");
        expect(text).toContain("# live_migration_flag = commented, stays");
        expect(text).not.toMatch(/^live_migration_flag=/m);
        expect(text).toContain("debug = false");
        expect(text).toMatch(/\[libvirt\]\nvirt_type = qemu\nlive_migration_scheme = tls\nlive_migration_inbound_addr = 10.77.0.11\n/);
        expect(text).toMatch(/\[DEFAULT\][\s\S]*max_concurrent_live_migrations = 2\n[\s\S]*\[libvirt\]/);
        expect(text).toMatch(/\[workarounds\]\nx = y\n$/);
        expect(text).toContain("[vnc]\nenabled = false");
        // Second run: nothing to do.
        expect(run(body)).toMatch(/changed=0/);
        expect(readFileSync(f, "utf8")).toBe(text);
        expect(run(`ini_check ${cmd(f, "libvirt", "live_migration_scheme", "tls")}; ini_check ${cmd(f, "libvirt", "virt_type", "kvm")}`)).toBe(
            `DRIFT ${f}: [libvirt] virt_type = qemu (want kvm)\n`,
        );
    });

    it("handles files without sections (libvirtd.conf) and values with quotes", () => {
        const f = path.join(dir, "libvirtd.conf");
        writeFileSync(f, '#listen_tls = 0\nlisten_tcp = 1\nauth_tcp = "none"\n');
        run(`ini_set ${cmd(f, "", "auth_tcp", '"sasl"')}; ini_set ${cmd(f, "", "host_uuid_source", '"machine-id"')}`);
        expect(readFileSync(f, "utf8")).toBe('#listen_tls = 0\nlisten_tcp = 1\nauth_tcp = "sasl"\nhost_uuid_source = "machine-id"\n');
    });

    it("collapses duplicate active lines into one", () => {
        const f = path.join(dir, "dup.conf");
        writeFileSync(f, "[libvirt]\na = 1\na = 2\n");
        expect(run(`ini_check ${cmd(f, "libvirt", "a", "2")}`)).toMatch(/DRIFT/);
        run(`ini_set ${cmd(f, "libvirt", "a", "2")}`);
        expect(readFileSync(f, "utf8")).toBe("[libvirt]\na = 2\n");
    });
});

describe("files and secrets", () => {
    it("put_file writes only on change and read_secret reads length-prefixed secrets from stdin", () => {
        const f = path.join(dir, "key.pem");
        const secrets = secretsStdin(["first secret\nwith two lines", "second 'quoted' $(not run)"]);
        const owner = ["-un", "-gn"].map((o) => execFileSync("id", [o], { encoding: "utf8" }).trim()).join(":");
        const body = `read_secret A; read_secret B
put_file ${cmd(f, "600", owner)} <<<"$A"
echo "b=$B changed=\${#CHANGED[@]}"`;
        const out = run(body, secrets);
        expect(out).toContain("b=second 'quoted' $(not run) changed=1");
        expect(readFileSync(f, "utf8")).toBe("first secret\nwith two lines\n");
        expect(run(body, secrets)).toContain("changed=0");
    });

    it("records a change made at the end of a pipeline (`printf … | put_file …`), so what depends on it runs", () => {
        const f = path.join(dir, "authkey");
        const owner = ["-un", "-gn"].map((o) => execFileSync("id", [o], { encoding: "utf8" }).trim()).join(":");
        const body = (key: string) => `printf '%s' ${shq(key)} | base64 -d | put_file ${cmd(f, "400", owner)}
if was_changed ${shq(f)}; then echo "restart"; else echo "keep"; fi`;
        expect(run(body("a2V5LTE="))).toBe("restart\n");
        expect(run(body("a2V5LTE="))).toBe("keep\n");
        expect(run(body("a2V5LTI="))).toBe("restart\n");
        expect(readFileSync(f, "utf8")).toBe("key-2");
    });

    it("quotes values so that nothing in them runs", () => {
        const evil = `x'; touch ${dir}/pwned; echo '`;
        expect(run(`echo ${shq(evil)}`)).toBe(`${evil}\n`);
        expect(() => readFileSync(path.join(dir, "pwned"))).toThrow();
    });

    it("keeps the prelude out of the stored script, and puts it in when the script runs", () => {
        const stored = hostScript("s", "ini_get /nonexistent a b; echo done");
        expect(stored).not.toContain("ini_set()");
        expect(stored.length).toBeLessThan(200);
        expect(withPrelude(stored)).toContain("ini_set()");
        expect(execFileSync("bash", ["-c", withPrelude(stored)], { encoding: "utf8" })).toBe("done\n");
        expect(withPrelude("echo plain")).toBe("echo plain"); // a script of another kind stays as it is
    });

    it("names the host and step when a command fails", () => {
        expect(() => execFileSync("bash", ["-c", withPrelude(hostScript("break things", "true\nfalse\n"))], { encoding: "utf8", stdio: "pipe" })).toThrow(
            /step "break things" failed at line \d+: false \(exit 1\)/,
        );
    });
});

describe("wait_for", () => {
    it("waits until the command succeeds, and gives up after its seconds of wall time, not a number of tries", () => {
        const f = path.join(dir, "ready");
        // Ready on the third try; then a command that never succeeds, each try taking 2 s, bounded by 3 s: it gives
        // up at the first check after the deadline (5 s: two tries and a pause), however many tries that was.
        const out = run(`
n=0; third() { n=$((n + 1)); [ "$n" -ge 3 ]; }
wait_for 10 third && echo "ready after $n"
slow() { sleep 2; [ -e ${shq(f)} ]; }
start=$SECONDS; wait_for 3 slow || echo "gave up after $((SECONDS - start)) s"`);
        expect(out).toMatch(/^ready after 3\ngave up after [4-6] s\n$/);
    });
});

describe("enable_units", () => {
    it("enables only the units that are not enabled yet (systemctl enable reloads systemd every time)", () => {
        // A stub systemctl: unit a is enabled, b disabled, c unknown; it records every call.
        writeFileSync(
            path.join(dir, "systemctl"),
            `#!/bin/bash\necho "$*" >> ${dir}/calls\ncase "$*" in "is-enabled a") echo enabled ;; "is-enabled b") echo disabled; exit 1 ;; "is-enabled "*) exit 1 ;; esac\n`,
            { mode: 0o755 },
        );
        execFileSync("bash", ["-c", withPrelude(hostScript("test", "enable_units a b c"))], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
        expect(readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n")).toEqual(["is-enabled a", "is-enabled b", "enable --quiet b", "is-enabled c", "enable --quiet c"]);
    });
});
