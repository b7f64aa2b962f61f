// Every value a script builder puts into a script is data: single-quoted words, never pasted into double
// quotes, here-documents or config lines where it could run or add lines. Run by real bash.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cephClient, cephClientConf } from "../../lib/hostscripts/ceph";
import { instanceStoreMount } from "../../lib/hostscripts/instanceStore";
import { novaMigrationConfig, type NovaMigrationSpec } from "../../lib/hostscripts/nova";
import { novaCompute } from "../../lib/hostscripts/novaCompute";
import { hostScript, putFile, withPrelude } from "../../lib/hostscripts/prelude";

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "livemig-quoting-"))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const bash = (script: string) => {
    try {
        execFileSync("bash", ["-c", withPrelude(script)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch {
        // failing is fine here; running what it should not is not
    }
};
const hostile = () => `/tmp/x"; touch ${dir}/pwned; echo "`;

const nova: NovaMigrationSpec = {
    configPath: "/etc/nova/nova.conf",
    instancesPath: "/var/lib/nova/instances",
    scheme: "tls",
    inboundAddress: "10.77.0.11",
    nativeTls: true,
    permitPostCopy: false,
    permitAutoConverge: true,
    timeoutAction: "abort",
    completionTimeout: 800,
    maxConcurrentLiveMigrations: 1,
};

describe("values in host scripts", () => {
    it("nova.conf's path is quoted in the migration settings script", () => {
        bash(novaMigrationConfig({ ...nova, configPath: hostile() }).create);
        expect(existsSync(`${dir}/pwned`)).toBe(false);
    });

    it("nova.conf's path is quoted in nova-compute's scripts", () => {
        const step = novaCompute({ configPath: hostile(), host: "compute-1", address: "10.77.0.11", instancesPath: "/var/lib/nova/instances", virtType: "qemu", cpuMode: "none" });
        bash(step.create);
        bash(step.check);
        expect(existsSync(`${dir}/pwned`)).toBe(false);
    });

    it("a line break never reaches nova.conf", () => {
        expect(() => novaMigrationConfig({ ...nova, inboundAddress: "10.77.0.11\n[DEFAULT]\ndebug = true" })).toThrow(/live_migration_inbound_addr: .* contains a line break/);
        expect(() => novaCompute({ configPath: "/etc/nova/nova.conf", host: "compute-1\nx = y", address: "10.77.0.11", instancesPath: "/i", virtType: "qemu", cpuMode: "none" })).toThrow(
            /\[DEFAULT\] host: .* contains a line break/,
        );
    });

    it("the instance store's unit file gets no line of a value's own", () => {
        const spec = { source: "10.77.0.21:/vol", backupServers: ["10.77.0.22"], path: "/var/lib/nova/instances", uid: 64060, gid: 64060 };
        expect(() => instanceStoreMount({ ...spec, source: "10.77.0.21:/vol\nExecStartPre=/bin/sh -c reboot" })).toThrow(/instance store source: .* contains a line break/);
        expect(() => instanceStoreMount({ ...spec, backupServers: ["x\ny"] })).toThrow(/gluster backup server/);
        // Run only as far as its first check (a uid nobody has): it must not touch this machine's systemd.
        const where = `/srv/it's $(touch ${dir}/pwned)`;
        const { create, check } = instanceStoreMount({ ...spec, path: where, uid: 4_000_000_001 });
        expect(create).toContain(`path='/srv/it'\\''s $(touch ${dir}/pwned)'`);
        expect(create).not.toMatch(/<<'?EOF/);
        bash(create);
        bash(check);
        expect(existsSync(`${dir}/pwned`)).toBe(false);
        expect(existsSync("/srv/it's $(touch ")).toBe(false);
    });

    it("putFile writes text verbatim: a line EOF, quotes and $(…) in it are data", () => {
        const f = path.join(dir, "unit");
        const text = `[Unit]\nEOF\n'$(touch ${dir}/pwned)' "\`touch ${dir}/pwned2\`"\n`;
        execFileSync("bash", ["-c", withPrelude(hostScript("t", `${putFile(f, "644", `${process.getuid!()}:${process.getgid!()}`, text)}\necho "changed=\${#CHANGED[@]}"`))], { encoding: "utf8" });
        expect(readFileSync(f, "utf8")).toBe(text);
        expect(existsSync(`${dir}/pwned`) || existsSync(`${dir}/pwned2`)).toBe(false);
    });
});

describe("the Ceph client step", () => {
    const spec = { configPath: "/etc/nova/nova.conf", monitors: ["10.77.0.1:6789"], user: "cinder", secretUuid: "5a1c7c5e-6d0f-4a73-9a43-0c9c2d86b7f1" };

    it("keeps the key out of its scripts (it comes on stdin) and sets nova's RBD settings per storage mode", () => {
        const rbd = cephClient({ ...spec, instanceDisksPool: "vms" });
        for (const script of [rbd.create, rbd.check]) {
            expect(script).toContain("read_secret CEPH_KEY");
            expect(script).not.toMatch(/AQ[A-Za-z0-9+/]{38}==/);
        }
        expect(rbd.create).toContain("ini_set '/etc/nova/nova.conf' 'libvirt' 'images_type' 'rbd'");
        expect(rbd.create).toContain("ini_set '/etc/nova/nova.conf' 'libvirt' 'rbd_secret_uuid' '5a1c7c5e-6d0f-4a73-9a43-0c9c2d86b7f1'");
        const files = cephClient(spec);
        expect(files.create).toContain("ini_unset '/etc/nova/nova.conf' 'libvirt' 'images_type'");
        expect(files.create).not.toContain("'images_type' 'rbd'");
    });

    it("writes a client config with the monitors, and refuses a line break in one", () => {
        expect(cephClientConf({ monitors: ["10.77.0.1:6789", "mon-2"], fsid: "5a1c7c5e-6d0f-4a73-9a43-0c9c2d86b7f1" })).toBe(
            "# Written by livemig: this host's client settings for the Ceph cluster\n[global]\nfsid = 5a1c7c5e-6d0f-4a73-9a43-0c9c2d86b7f1\n" +
                "mon_host = 10.77.0.1:6789,mon-2\n[client]\nclient_mount_timeout = 30\nrados_connect_timeout = 30\n",
        );
        expect(() => cephClient({ ...spec, monitors: ["10.77.0.1\n[client]\nkeyring = /tmp/x"] })).toThrow(/ceph monitor: .* contains a line break/);
    });
});
