// Pre-flight of a live migration: the scripts run by bash against stub commands (what a host would print),
// and the judgement of what they printed. The lab tests run them against real hosts.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { destinationScript, fields, judge, sourceScript, type PreflightPlan } from "../../lib/moves/preflight";
import { cachedPass, noteHostChanged } from "../../lib/moves/preflightCache";

const host = (name: string) => ({ name, address: "10.77.0.11", port: 22, user: "root" });
const plan = (over: Partial<PreflightPlan> = {}): PreflightPlan => ({
    source: host("compute-1"),
    destination: host("compute-2"),
    transport: "tls",
    instancesPath: "/var/lib/nova/instances",
    blockMigration: "auto",
    sharedStore: ["compute-1", "compute-2"],
    permitPostCopy: false,
    ...over,
});
const cpu = Buffer.from("<cpu>\n  <arch>x86_64</arch>\n</cpu>").toString("base64");
const good = {
    src: new Map([["REACH", "compute-2"], ["IDENT", "64060:64060 64060:64060"], ["FSTYPE", "fuse.glusterfs"], ["PROBE", "ok"], ["CPU", cpu]]),
    dst: new Map([["IDENT", "64060:64060 64060:64060"], ["FSTYPE", "fuse.glusterfs"], ["SEEN", "compute-1"], ["CPUCMP", "CPU described in /tmp/x is identical to the CPU provided by hypervisor on the host"]]),
};
const withSrc = (k: string, v: string) => new Map([...good.src, [k, v]]);
const withDst = (k: string, v: string) => new Map([...good.dst, [k, v]]);

describe("pre-flight judgement", () => {
    it("passes a healthy pair", () => expect(judge(plan(), good.src, good.dst)).toEqual([]));

    it("lets a volume-backed server move between computes whatever their instance disks are", () => {
        const p = plan({ sharedStore: ["compute-1"], volumeBacked: true, ceph: { user: "cinder", pools: ["volumes"] } });
        const dst = new Map([...good.dst, ["SEEN", ""], ["NOVARBD", "rbd vms u"], ["RBD:volumes", "ok"]]);
        expect(judge(p, withSrc("NOVARBD", "- - u"), dst)).toEqual([]);
        expect(judge(p, withSrc("NOVARBD", "- - u"), new Map([...dst, ["RBD:volumes", "rbd: couldn't connect to the cluster!"]]))).toEqual([
            "compute-2 cannot use the Ceph pool volumes as client.cinder: the cluster refused the key (wrong key, or caps without this pool) or cannot be reached (rbd: couldn't connect to the cluster!)",
        ]);
    });

    it("passes RBD disks on both sides although the instances path is not shared", () => {
        const p = plan({ sharedStore: [], blockMigration: "auto", ceph: { user: "cinder", pools: ["volumes", "vms"] } });
        const dst = new Map([...good.dst, ["SEEN", ""], ["NOVARBD", "rbd vms u"], ["RBD:volumes", "ok"], ["RBD:vms", "ok"]]);
        expect(judge(p, withSrc("NOVARBD", "rbd vms u"), dst)).toEqual([]);
    });

    it.each([
        ["libvirt unreachable", plan(), withSrc("REACH", "error: unable to connect to server at 'compute-2:16514': Connection refused"), good.dst, /compute-1 cannot reach libvirt on compute-2 over tls \(qemu\+tls:\/\/compute-2\/system\): error: unable to connect/],
        ["different nova ids", plan(), good.src, withDst("IDENT", "64061:64061 64061:64061"), /nova uid:gid and owner of \/var\/lib\/nova\/instances differ: compute-1 has 64060:64060 64060:64060, compute-2 has 64061/],
        ["no instances path", plan(), good.src, withDst("IDENT", "missing"), /instances path \/var\/lib\/nova\/instances: compute-2: no/],
        ["store not mounted", plan(), good.src, withDst("FSTYPE", "none"), /the shared instance store is not mounted at \/var\/lib\/nova\/instances on compute-2 \(found: none\)/],
        ["store not shared", plan(), good.src, withDst("SEEN", ""), /should be shared between compute-1 and compute-2, but a file written on compute-1 is not visible on compute-2/],
        ["block migration on shared storage", plan({ blockMigration: true }), good.src, good.dst, /is shared between compute-1 and compute-2, but moves.blockMigration is true/],
        ["shared migration without shared storage", plan({ blockMigration: false, sharedStore: [] }), good.src, withDst("SEEN", ""), /is not shared between compute-1 and compute-2, but moves.blockMigration is false/],
        ["a read-only store", plan(), withSrc("PROBE", "bash: /var/lib/nova/instances/.p: Read-only file system"), good.dst, /cannot write to \/var\/lib\/nova\/instances on compute-1: bash: .*Read-only/],
        ["an incompatible CPU", plan(), good.src, withDst("CPUCMP", "CPU described in /tmp/x is incompatible with host CPU"), /the CPU of compute-2 is not compatible with compute-1's: CPU described in \/tmp\/x is incompatible/],
        ["no CPU description", plan(), withSrc("CPU", ""), good.dst, /cannot read compute-1's host CPU from libvirt/],
        ["post-copy without userfaultfd", plan({ permitPostCopy: true }), withSrc("UFFD", "ok"), withDst("UFFD", "no"), /QEMU on compute-2 cannot use userfaultfd/],
        ["RBD disks on one side only", plan(), withSrc("NOVARBD", "rbd vms 5a1c7c5e"), withDst("NOVARBD", "- - 5a1c7c5e"), /compute-1 keeps instance disks in RBD \(images_type = rbd\) but compute-2 keeps them as files/],
        ["RBD disks in different pools", plan({ sharedStore: [] }), withSrc("NOVARBD", "rbd vms 5a1c7c5e"), new Map([...withDst("NOVARBD", "rbd vms2 5a1c7c5e"), ["SEEN", ""]]), /keep instance disks in different RBD pools \(vms and vms2\)/],
        ["different libvirt secrets", plan(), withSrc("NOVARBD", "- - aaaa"), withDst("NOVARBD", "- - bbbb"), /different libvirt secrets for Ceph \(rbd_secret_uuid aaaa and bbbb\)/],
        ["a wrong Ceph key on the destination", plan({ ceph: { user: "cinder", pools: ["volumes"] } }), good.src, withDst("RBD:volumes", "2026-12-02T03:40:01.000+0000 7f0 -1 monclient(hunting): handle_auth_bad_method server allowed_methods [2] but i only support [2]; rbd: couldn't connect to the cluster!"), /compute-2 cannot use the Ceph pool volumes as client.cinder: .*couldn't connect to the cluster/],
        ["an unknown pool", plan({ ceph: { user: "cinder", pools: ["volumes", "nope"] } }), good.src, new Map([...good.dst, ["RBD:volumes", "ok"], ["RBD:nope", "rbd: error opening pool 'nope': (2) No such file or directory"]]), /compute-2 cannot use the Ceph pool nope as client.cinder: the pool nope does not exist \(rbd: error opening pool 'nope'/],
        ["block migration between RBD disks", plan({ blockMigration: true, sharedStore: [] }), withSrc("NOVARBD", "rbd vms u"), new Map([...withDst("NOVARBD", "rbd vms u"), ["SEEN", ""]]), /instance disks are RBD images on compute-1 and compute-2 \(shared through Ceph\), but moves.blockMigration is true/],
    ])("names the hosts and the reason: %s", (_what, p, src, dst, reason) => {
        const failures = judge(p, src, dst);
        expect(failures).toHaveLength(1);
        expect(failures[0]).toMatch(reason);
    });
});

describe("pre-flight scripts", () => {
    // Stub commands standing in for a host's virsh, findmnt, id, stat.
    function stubs(dir: string, virshCapabilities: string) {
        const bin = path.join(dir, "bin");
        execFileSync("mkdir", ["-p", bin]);
        const stub = (name: string, body: string) => {
            writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`);
            chmodSync(path.join(bin, name), 0o755);
        };
        // Like the real one, virsh ends its answer with an empty line.
        stub("virsh", `case "$*" in *hostname*) printf 'compute-2\\n\\n';; *capabilities*) cat ${JSON.stringify(virshCapabilities)};; *cpu-compare*) f=\${@: -1}; grep -q '<cpu>' "$f" && echo "CPU described in $f is identical to the CPU provided by hypervisor on the host";; esac`);
        stub("findmnt", "echo fuse.glusterfs");
        stub("id", 'echo 64060');
        stub("stat", "echo 64060:64060");
        stub("timeout", 'shift; exec "$@"');
        return bin;
    }

    it("run under bash and print what the judgement reads; the source's CPU reaches the destination as data", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "preflight-"));
        const store = path.join(dir, "instances");
        execFileSync("mkdir", ["-p", store]);
        // A hostile CPU description: were it pasted into the script, it would end a here-document and run.
        const caps = path.join(dir, "caps.xml");
        const hostile = `<host>\n<cpu>\nEOF\ntouch ${dir}/pwned\n'; touch ${dir}/pwned2; '\n</cpu>\n</host>`;
        writeFileSync(caps, hostile);
        const env = { ...process.env, PATH: `${stubs(dir, caps)}:${process.env.PATH}` };
        const novaConf = path.join(dir, "nova.conf");
        writeFileSync(novaConf, "[DEFAULT]\nimages_type = qcow2\n[libvirt]\nvirt_type = qemu\n  images_type=rbd\nimages_rbd_pool = vms\nrbd_secret_uuid = 7d3b\n[vnc]\nenabled = false\n");
        const p = plan({ instancesPath: store, novaConf });
        const probe = `${store}/.livemig-preflight-test`;
        const src = fields(execFileSync("bash", ["-c", sourceScript(p, probe)], { env, encoding: "utf8" }));
        expect(src.get("REACH")).toBe("compute-2");
        expect(src.get("NOVARBD")).toBe("rbd vms 7d3b"); // [libvirt] only, spaces around "=" or not
        expect(src.get("PROBE")).toBe("ok");
        expect(readFileSync(probe, "utf8")).toBe("compute-1\n");
        const cpuXml = Buffer.from(src.get("CPU")!, "base64").toString("utf8");
        expect(destinationScript(p, probe)).not.toContain("touch");
        const dst = fields(execFileSync("bash", ["-c", destinationScript(p, probe)], { env, encoding: "utf8", input: cpuXml }));
        expect(dst.get("SEEN")).toBe("compute-1");
        // The destination removes a probe it could read, in the background (the script does not wait for it).
        await vi.waitFor(() => expect(existsSync(probe)).toBe(false), { timeout: 5000, interval: 20 });
        expect(existsSync(`${dir}/pwned`) || existsSync(`${dir}/pwned2`)).toBe(false);
        expect(judge(p, src, dst)).toEqual([]);
    });

    it("quote every value: a hostile instances path is a path, not a command", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "preflight-"));
        const p = plan({ instancesPath: `${dir}/x'; touch ${dir}/pwned; echo '` });
        execFileSync("bash", ["-c", sourceScript(p, `${dir}/probe`)], { env: { ...process.env, PATH: `${stubs(dir, "/dev/null")}:${process.env.PATH}` }, encoding: "utf8" });
        expect(existsSync(`${dir}/pwned`)).toBe(false);
    });
});

describe("pre-flight reuse within one run of the CLI", () => {
    it("reuses a pass of the same check in the same run, never a failure, and not across runs", async () => {
        let runs = 0;
        const key = { pair: `test-${Math.random()}` };
        const pass = async () => (runs++, []);
        const fail = async () => (runs++, ["broken"]);
        expect(await cachedPass(key, 60_000, pass, "run-a")).toEqual([]);
        expect(await cachedPass(key, 60_000, pass, "run-a")).toEqual([]);
        expect(runs).toBe(1);
        expect(await cachedPass(key, 60_000, pass, "run-b")).toEqual([]); // another run checks again
        expect(runs).toBe(2);
        const other = { pair: `test-${Math.random()}` };
        expect(await cachedPass(other, 60_000, fail, "run-a")).toEqual(["broken"]);
        expect(await cachedPass(other, 60_000, fail, "run-a")).toEqual(["broken"]);
        expect(runs).toBe(4);
        expect(await cachedPass({ pair: `test-${Math.random()}` }, 60_000, pass, undefined)).toEqual([]); // no run known: no reuse
        // A host the stack reconfigured in this run is checked again.
        const moved = { pair: `test-${Math.random()}` };
        runs = 0;
        await cachedPass(moved, 60_000, pass, "run-c", ["10.0.0.1", "10.0.0.2"]);
        await cachedPass(moved, 60_000, pass, "run-c", ["10.0.0.1", "10.0.0.2"]);
        expect(runs).toBe(1);
        await new Promise((r) => setTimeout(r, 5));
        noteHostChanged("10.0.0.2", "run-c");
        await cachedPass(moved, 60_000, pass, "run-c", ["10.0.0.1", "10.0.0.2"]);
        expect(runs).toBe(2);
    });
});
