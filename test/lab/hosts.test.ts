// Compute hosts and GlusterFS as code, on the lab's real hosts (systemd, sshd, libvirtd, glusterd in
// network namespaces), through the real engine: the walkthrough's host setup from bare hosts.
import type { Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labHosts, labTestStack, mustOnHost, onHost, setStackConfig, waitFor } from "../support/lab";
import { TEST_SASL_PASSWORDS } from "../support/secrets";

const VOLUME = "nova-gluster-vol";
const INSTANCES = "/var/lib/nova/instances";

async function virshHostname(from: string, to: string): Promise<string> {
    return mustOnHost(from, `virsh -c qemu+tls://${to}/system hostname`);
}

async function onlineBricks(): Promise<number> {
    const out = await onHost("n1", `gluster volume status ${VOLUME} detail | awk -F': ' '/^Online/ { print $2 }'`);
    return out.stdout.split("\n").filter((l) => l.trim() === "Y").length;
}

async function healPending(): Promise<number> {
    const out = await mustOnHost("n1", `gluster volume heal ${VOLUME} info | awk -F': ' '/^Number of entries/ { n += $2 } END { print n + 0 }'`);
    return Number(out);
}

describe("compute hosts and GlusterFS on the lab's hosts", () => {
    let stack: Stack;
    let remove: () => Promise<void>;

    beforeAll(async () => {
        // Bare hosts: a fresh root and empty brick disks for every host.
        await labHosts("down");
        await labHosts("up");
        ({ stack, remove } = await labTestStack("hosts"));
        // Host configuration only: no nova-compute, no servers (test/lab/guests.test.ts has those).
        await stack.removeConfig("novaCompute");
        await setStackConfig(stack, { servers: [] });
    });

    afterAll(async () => {
        await remove?.();
    });

    it("configures everything from bare hosts with pulumi up", async () => {
        const up = await stack.up();
        expect(up.summary.result).toBe("succeeded");
        expect(up.outputs.libvirtTransport?.value).toBe("tls");
    });

    it("lets the computes reach each other's libvirt over TLS", async () => {
        expect(await virshHostname("compute-1", "compute-2")).toBe("compute-2");
        expect(await virshHostname("compute-2", "compute-1")).toBe("compute-1");
        // Plain TCP is not open: only the TLS socket listens.
        expect((await onHost("compute-1", "virsh -c qemu+tcp://compute-2/system hostname")).code).not.toBe(0);
    });

    it("wrote nova's migration settings and dropped the walkthrough's obsolete flag", async () => {
        const conf = await mustOnHost("compute-1", "cat /etc/nova/nova.conf");
        expect(conf).toMatch(/^live_migration_scheme = tls$/m);
        expect(conf).toMatch(/^live_migration_inbound_addr = 10\.77\.0\.11$/m);
        expect(conf).toMatch(/^live_migration_with_native_tls = true$/m);
        expect(conf).toMatch(/^max_concurrent_live_migrations = 2$/m);
        expect(conf).not.toMatch(/^live_migration_flag/m);
    });

    it("built the volume with the configured layout, every brick online", async () => {
        const info = await mustOnHost("n1", `gluster volume info ${VOLUME}`);
        expect(info).toContain("Status: Started");
        expect(info).toMatch(/Number of Bricks: 2 x \(2 \+ 1\) = 6/);
        const bricks = [...info.matchAll(/^Brick\d+: (.*)$/gm)].map((m) => m[1]);
        expect(bricks).toEqual([
            "10.77.0.21:/brick1/data1",
            "10.77.0.22:/brick1/data1",
            "10.77.0.23:/brick1/arbiter1 (arbiter)",
            "10.77.0.23:/brick1/data2",
            "10.77.0.24:/brick1/data2",
            "10.77.0.21:/brick1/arbiter2 (arbiter)",
        ]);
        expect(info).toMatch(/storage\.owner-uid: 64060/);
        expect(await onlineBricks()).toBe(6);
        expect(await mustOnHost("n2", "blkid -o value -s TYPE /dev/sdb")).toBe("xfs");
    });

    it("shares the instance store between the computes, owned by nova", async () => {
        await mustOnHost("compute-1", `echo "written on compute-1" > ${INSTANCES}/shared-check && chown nova:nova ${INSTANCES}/shared-check`);
        expect(await mustOnHost("compute-2", `cat ${INSTANCES}/shared-check`)).toBe("written on compute-1");
        expect(await mustOnHost("compute-2", `stat -c %U:%G ${INSTANCES}`)).toBe("nova:nova");
    });

    it("changes nothing on a second run", async () => {
        await stack.preview({ expectNoChanges: true });
        await stack.preview({ expectNoChanges: true, refresh: true });
    });

    it("detects a hand-edited libvirtd.conf, volume options set by hand, a stopped glusterd and an unmounted store, and repairs them", async () => {
        await mustOnHost("compute-1", `sed -i 's/^auth_tls = .*/auth_tls = "sasl"/' /etc/libvirt/libvirtd.conf`);
        // Two of the virt group's options, while every peer is up (the check reads them all in one query).
        const option = (k: string) => mustOnHost("n1", `gluster volume get ${VOLUME} ${k} | awk '$1 == "${k}" { print $2 }'`);
        await mustOnHost("n1", `gluster volume set ${VOLUME} network.ping-timeout 42 && gluster volume set ${VOLUME} performance.read-ahead on`);
        await mustOnHost("n2", "systemctl stop glusterd");
        await mustOnHost("compute-2", `umount ${INSTANCES}`);
        const preview = await stack.preview({ refresh: true, diff: true });
        // Five, not three: with glusterd down on n2, the pool (n2 disconnected) and the volume (5 of 6 bricks
        // online) have drifted too; the repair re-runs their steps after n2's.
        expect(preview.changeSummary.update).toBe(5);
        for (const r of ["compute-1-libvirt", "gluster-n2-brick-disk", "gluster-peers", "gluster-volume", "instance-store-compute-2"]) {
            expect(preview.stdout).toMatch(new RegExp(`~ .*RemoteScript: \\(update\\)[^~]*::${r}\\]`));
        }
        expect(preview.stdout).toContain('auth_tls = \\"sasl\\" (want \\"none\\")'); // JSON-quoted in the diff
        expect(preview.stdout).toContain("glusterd.service is inactive (want active)");
        expect(preview.stdout).toContain(`is not mounted at ${INSTANCES}`);
        expect(preview.stdout).toContain("volume option network.ping-timeout is not 20 (group virt)");
        expect(preview.stdout).toContain("volume option performance.read-ahead is not off (group virt)");

        await stack.refresh();
        const up = await stack.up();
        expect(up.summary.resourceChanges?.update).toBe(5);
        expect(await mustOnHost("compute-1", "grep ^auth_tls /etc/libvirt/libvirtd.conf")).toBe('auth_tls = "none"');
        expect(await mustOnHost("n2", "systemctl is-active glusterd")).toBe("active");
        expect([await option("network.ping-timeout"), await option("performance.read-ahead")]).toEqual(["20", "off"]);
        expect(await mustOnHost("compute-2", `cat ${INSTANCES}/shared-check`)).toBe("written on compute-1");
        expect(await virshHostname("compute-2", "compute-1")).toBe("compute-1");
        await stack.preview({ expectNoChanges: true, refresh: true });
    });

    it("keeps I/O going when a gluster node dies, and heals when it returns", async () => {
        await labHosts("kill", "n2");
        for (let i = 0; i < 3; i++) {
            await mustOnHost("compute-1", `dd if=/dev/urandom of=${INSTANCES}/while-n2-down-${i} bs=64k count=16 status=none && sync`);
        }
        expect(await mustOnHost("compute-2", `ls ${INSTANCES} | grep -c while-n2-down`)).toBe("3");
        await labHosts("start", "n2");
        await waitFor("all 6 bricks online", async () => (await onlineBricks()) === 6, 120_000, 2000);
        // The self-heal daemon on n2 needs a moment before a heal can be launched.
        await waitFor("a heal to launch", async () => (await onHost("n1", `gluster volume heal ${VOLUME}`)).code === 0, 60_000, 2000);
        await waitFor("heal to reach 0 entries", async () => (await healPending()) === 0, 180_000, 3000);
    });

    it("brings the libvirt listener, bricks and mounts back after reboots", async () => {
        await labHosts("reboot", "compute-1");
        await labHosts("reboot", "n1");
        await waitFor("compute-1's libvirt over TLS", async () => (await onHost("compute-2", "virsh -c qemu+tls://compute-1/system hostname")).stdout.trim() === "compute-1");
        await waitFor("the instance store on compute-1", async () => (await onHost("compute-1", `cat ${INSTANCES}/shared-check`)).stdout.trim() === "written on compute-1");
        expect(await mustOnHost("n1", "findmnt -n -o SOURCE /brick1")).toBe("/dev/sdb");
        await waitFor("all 6 bricks online", async () => (await onlineBricks()) === 6, 120_000, 2000);
        await stack.preview({ expectNoChanges: true, refresh: true });
    });

    it("names the host and the step when a gluster node dies in the middle of a pulumi up; the rerun converges", async () => {
        // Drift on every gluster node (glusterd stopped), found by a refresh: the next up repairs each of them.
        for (const n of ["n1", "n2", "n3", "n4"]) await mustOnHost(n, "systemctl stop glusterd");
        await stack.refresh();
        const ssh = JSON.parse((await stack.getConfig("ssh")).value) as Record<string, unknown>;
        await setStackConfig(stack, { ssh: { ...ssh, connectTimeoutSeconds: 10 } }); // give up on a dead host sooner
        let killed: Promise<string> | undefined;
        const err = await stack
            .up({
                onEvent: (e) => {
                    // n3 loses power as soon as the repair begins.
                    if (!killed && e.resourcePreEvent?.metadata.op === "update") killed = labHosts("kill", "n3");
                },
            })
            .then(() => "", (e: Error) => String(e));
        expect(killed).toBeDefined();
        await killed;
        // Which step meets the dead host first depends on timing; the error always says which host and step.
        expect(err).toMatch(/\b(n[1-4]): step "[^"]+" (failed|could not start)/);
        expect(err).toMatch(/n3/);
        await labHosts("start", "n3");
        await setStackConfig(stack, { ssh });
        expect((await stack.up({ refresh: true })).summary.result).toBe("succeeded");
        await waitFor("all 6 bricks online", async () => (await onlineBricks()) === 6, 120_000, 2000);
        await stack.preview({ expectNoChanges: true, refresh: true });
    });

    it("switches to tcp-sasl: only the TCP socket listens, and it wants a SASL login", async () => {
        await setStackConfig(stack, { libvirt: { transport: "tcp-sasl", hostUuidSource: "machine-id", sasl: { password: TEST_SASL_PASSWORDS.hosts } } }, ["libvirt"]);
        await stack.up();
        expect(await mustOnHost("compute-1", "virsh -c qemu+tcp://compute-2/system hostname")).toBe("compute-2");
        const anonymous = await onHost("compute-1", "LIBVIRT_AUTH_FILE=/dev/null virsh -c qemu+tcp://compute-2/system hostname </dev/null");
        expect(anonymous.code).not.toBe(0);
        expect(await mustOnHost("compute-2", "ss -Hltn 'sport = :16514' | wc -l")).toBe("0");
        expect(await mustOnHost("compute-1", "grep ^live_migration_scheme /etc/nova/nova.conf")).toBe("live_migration_scheme = tcp");
        // The password reached the host through stdin only: it is in no process's command line.
        expect(await mustOnHost("compute-1", "cat /etc/libvirt/auth.conf")).toContain(TEST_SASL_PASSWORDS.hosts);
    });

    it("accepts tcp-insecure only with the opt-in, and warns on every preview", async () => {
        await stack.setConfig("libvirt", { value: JSON.stringify({ transport: "tcp-insecure", hostUuidSource: "machine-id", allowInsecureTcp: true }) });
        const preview = await stack.preview();
        for (const c of ["compute-1", "compute-2"]) expect(preview.stdout).toContain(`${c}: libvirt accepts migrations over plain TCP with auth_tcp = "none"`);
        await stack.up();
        expect(await mustOnHost("compute-1", "LIBVIRT_AUTH_FILE=/dev/null virsh -c qemu+tcp://compute-2/system hostname </dev/null")).toBe("compute-2");
        expect((await stack.preview()).stdout).toContain('auth_tcp = "none"');
    });

    it("goes back to TLS and closes plain TCP", async () => {
        await stack.setConfig("libvirt", { value: JSON.stringify({ transport: "tls", hostUuidSource: "machine-id" }) });
        await stack.up();
        expect(await virshHostname("compute-1", "compute-2")).toBe("compute-2");
        expect(await mustOnHost("compute-2", "ss -Hltn 'sport = :16509' | wc -l")).toBe("0");
        await stack.preview({ expectNoChanges: true, refresh: true });
    });
});
