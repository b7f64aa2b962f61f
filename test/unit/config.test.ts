import { describe, expect, it } from "vitest";
import { ConfigError, parseStackConfig } from "../../lib/config/load";

const good = {
    ssh: { privateKeyPath: "/var/lib/livemig-lab/ssh/id_ed25519" },
    hosts: [
        { name: "compute-1", address: "10.77.0.11", roles: ["compute"] },
        { name: "n1", address: "10.77.0.21", roles: ["gluster"] },
    ],
};

function raw(cfg: Record<string, unknown>): Record<string, string> {
    return Object.fromEntries(Object.entries(cfg).map(([k, v]) => [`livemig:${k}`, JSON.stringify(v)]));
}

function problems(cfg: Record<string, unknown>, secret: string[] = []) {
    try {
        parseStackConfig("test", "livemig", raw(cfg), (k) => secret.includes(k));
    } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).problems;
    }
    throw new Error("expected the config to be rejected");
}

const glusterGood = {
    replica: 3,
    arbiter: 1,
    bricks: [
        { host: "n1", path: "/brick1/b1" },
        { host: "n1", path: "/brick1/b2" },
        { host: "n1", path: "/brick1/arb" },
    ],
};
const withGluster = (patch: Record<string, unknown>) => ({ ...good, gluster: { ...glusterGood, ...patch } });

const server = { name: "vm-1", flavor: "m1.tiny", image: "cirros" };
const withServer = (patch: Record<string, unknown>) => ({ ...good, servers: [{ ...server, ...patch }] });

const ipmi = { host: "compute-1", agent: "fence_ipmilan", address: "10.77.0.111", username: "admin", password: "s3cret-bmc" };

const twoComputes = {
    ...good,
    hosts: [...good.hosts, { name: "compute-2", address: "10.77.0.12", roles: ["compute"] }],
    fenceDevices: [ipmi, { ...ipmi, host: "compute-2", address: "10.77.0.112" }],
};
const withHa = (patch: Record<string, unknown>) => ({
    ...twoComputes,
    ha: { monitorSettingsPath: "/var/lib/livemig-lab/openstack/masakari-monitors.ini", segments: [{ name: "lab", hosts: ["compute-1", "compute-2"], ...patch }] },
});

const ceph = { monitors: ["10.77.0.1:6789"], key: "AQDx7ahmAAAAABAAsvdWQx+bBXdJ/a3cyZXuTw==", secretUuid: "5a1c7c5e-6d0f-4a73-9a43-0c9c2d86b7f1" };

const withHost = (i: number, patch: Record<string, unknown>) => ({
    ...good,
    hosts: good.hosts.map((h, j) => (j === i ? { ...h, ...patch } : h)),
});

describe("stack config", () => {
    it("accepts a good config and fills defaults", () => {
        const cfg = parseStackConfig("test", "livemig", raw(good), () => false);
        expect(cfg.ssh?.user).toBe("root");
        expect(cfg.ssh?.port).toBe(22);
        expect(cfg.openstack).toEqual({});
        expect(cfg.hosts[1]?.roles).toEqual(["gluster"]);
    });

    it("ignores other namespaces' keys", () => {
        expect(() =>
            parseStackConfig("test", "livemig", { ...raw(good), "aws:region": "x" }, () => false),
        ).not.toThrow();
    });

    it.each([
        ["unknown top-level key", { ...good, hostz: [] }, "hostz", /unknown key "hostz"; allowed here: openstack, ssh, hosts/],
        ["unknown nested key", withHost(0, { adress: "x" }), "hosts[0].adress", /allowed here: name, address, roles, ssh/],
        ["wrong type", withHost(1, { address: 42 }), "hosts[1].address", /expected string, received number/],
        ["port out of range", { ...good, ssh: { ...good.ssh, port: 70000 } }, "ssh.port", /<=65535|65535/],
        ["duplicate host name", withHost(1, { name: "compute-1" }), "hosts[1].name", /duplicate host name "compute-1": already used by hosts\[0\]/],
        ["duplicate address", withHost(1, { address: "10.77.0.11" }), "hosts[1].address", /duplicate host address/],
        ["empty host name", withHost(0, { name: "" }), "hosts[0].name", /expected a host name/],
        ["empty roles", withHost(0, { roles: [] }), "hosts[0].roles", /at least one role/],
        ["hosts without ssh settings", { hosts: good.hosts }, "ssh", /configures hosts over SSH: set ssh.privateKeyPath/],
        ["a wrong type for hosts", { ssh: good.ssh, hosts: "compute-1" }, "hosts", /expected array, received string/],
        ["bad address", withHost(1, { address: "10.77.0.300; rm -rf /" }), "hosts[1].address", /expected an IPv4 or IPv6 address or a DNS name/],
        ["shell metacharacters in a name", withHost(0, { name: "compute-1$(reboot)" }), "hosts[0].name", /expected a host name/],
        ["unknown role", withHost(0, { roles: ["storage"] }), "hosts[0].roles[0]", /expected one of "compute"\|"gluster"/],
        ["relative key path", { ...good, ssh: { privateKeyPath: "id_ed25519" } }, "ssh.privateKeyPath", /expected an absolute path/],
        ["no key at all", { ...good, ssh: {} }, "ssh", /expected ssh.privateKeyPath or ssh.privateKey/],
        ["a shell metacharacter in a brick path", withGluster({ bricks: [{ host: "n1", path: "/brick1/b1;rm" }, ...glusterGood.bricks.slice(1)] }), "gluster.bricks[0].path", /expected an absolute path/],
        ["bricks that do not fit the replica count", withGluster({ arbiter: 0, bricks: glusterGood.bricks.slice(0, 2) }), "gluster.bricks", /2 bricks do not fit replica 3/],
        ["replica 2 without acknowledgement", withGluster({ replica: 2, arbiter: 0, bricks: glusterGood.bricks.slice(0, 2) }), "gluster.replica", /split-brain.*acknowledgeSplitBrainRisk/],
        ["an arbiter without replica 3", withGluster({ replica: 2, acknowledgeSplitBrainRisk: true, bricks: glusterGood.bricks.slice(0, 2) }), "gluster.arbiter", /an arbiter needs replica 3/],
        ["a brick on an undeclared host", withGluster({ bricks: [{ host: "n9", path: "/brick1/x" }, ...glusterGood.bricks.slice(1)] }), "gluster.bricks[0].host", /"n9" is not a declared host; declared: compute-1, n1/],
        ["a brick on a host without the gluster role", withGluster({ bricks: [{ host: "compute-1", path: "/brick1/x" }, ...glusterGood.bricks.slice(1)] }), "gluster.bricks[0].host", /does not have the gluster role/],
        ["a brick outside the disk", withGluster({ bricks: [{ host: "n1", path: "/srv/b" }, ...glusterGood.bricks.slice(1)] }), "gluster.bricks[0].path", /below the brick disk's mount point \/brick1/],
        ["a compute referenced but not declared", { ...withGluster({}), instanceStore: { computes: ["compute-3"] } }, "instanceStore.computes[0]", /"compute-3" is not a declared host/],
        ["an instance store without gluster", { ...good, instanceStore: {} }, "instanceStore", /configure gluster too/],
        ["tcp-insecure without opt-in", { ...good, libvirt: { transport: "tcp-insecure" } }, "libvirt.transport", /auth_tcp = "none".*allowInsecureTcp: true/],
        ["tcp-sasl without a password", { ...good, libvirt: { transport: "tcp-sasl" } }, "libvirt.sasl", /tcp-sasl needs libvirt.sasl.password/],
        ["an unknown transport", { ...good, libvirt: { transport: "ssh" } }, "libvirt.transport", /expected one of "tls"\|"tcp-sasl"\|"tcp-insecure"/],
        ["a gluster option with a shell metacharacter", withGluster({ options: { "network.ping-timeout": "10`id`" } }), "gluster.options.network.ping-timeout", /expected an option value/],
        ["a server with both image and volume", withServer({ image: "img", bootVolume: { size: 1 } }), "servers[0]", /exactly one of image .* or bootVolume/],
        ["a server with neither image nor volume", withServer({ image: undefined }), "servers[0]", /exactly one of image/],
        ["a placement on an unknown compute", withServer({ placement: { host: "compute-9" } }), "servers[0].placement.host", /"compute-9" is not a known compute; known: compute-1/],
        ["a placement with host and notOn", withServer({ placement: { host: "compute-1", notOn: ["compute-1"] } }), "servers[0].placement", /host or notOn, not both/],
        ["two servers with one name", { ...withServer({}), servers: [server, server] }, "servers[1].name", /server name "vm-1" appears twice/],
        ["a server placed on a host in maintenance", { ...withServer({ placement: { host: "compute-1" } }), maintenance: [{ host: "compute-1" }] }, "servers[0].placement.host", /compute-1 is in maintenance/],
        ["an evacuation onto itself", { ...good, evacuations: [{ host: "compute-1", target: "compute-1" }] }, "evacuations[0].target", /onto itself/],
        ["an evacuation of an undeclared server", { ...withServer({}), evacuations: [{ host: "compute-1", servers: ["vm-2"] }] }, "evacuations[0].servers[0]", /"vm-2" is not a server of this stack/],
        ["an evacuation with no proof that the host is off", { ...good, evacuations: [{ host: "compute-1" }] }, "evacuations[0]", /evacuating compute-1 needs proof that it is off.*fenceDevices.*fenced: true/],
        ["a fence device for an unknown host", { ...good, fenceDevices: [{ ...ipmi, host: "compute-9" }] }, "fenceDevices[0].host", /"compute-9" is not a declared host or known compute/],
        ["two fence devices for one host", { ...good, fenceDevices: [ipmi, ipmi] }, "fenceDevices[1].host", /host "compute-1" appears twice/],
        ["an unknown fence agent", { ...good, fenceDevices: [{ ...ipmi, agent: "fence_ssh" }] }, "fenceDevices[0].agent", /expected one of "fence_ipmilan"\|"fence_redfish"/],
        ["a Redfish option on an IPMI device", { ...good, fenceDevices: [{ ...ipmi, systemsUri: "/redfish/v1/Systems/1" }] }, "fenceDevices[0].systemsUri", /an option of fence_redfish, not of fence_ipmilan/],
        ["an IPMI option on a Redfish device", { ...good, fenceDevices: [{ ...ipmi, agent: "fence_redfish", lanplus: false }] }, "fenceDevices[0].lanplus", /an option of fence_ipmilan/],
        ["a BMC password with a line break", { ...good, fenceDevices: [{ ...ipmi, password: "x\naction=on" }] }, "fenceDevices[0].password", /without line breaks/],
        ["a BMC user with a space", { ...good, fenceDevices: [{ ...ipmi, username: "ad min" }] }, "fenceDevices[0].username", /expected a BMC user name/],
        ["a BMC address with shell metacharacters", { ...good, fenceDevices: [{ ...ipmi, address: "10.0.0.1;reboot" }] }, "fenceDevices[0].address", /expected an IPv4 or IPv6 address/],
        ["a segment naming an undeclared host", withHa({ hosts: ["compute-1", "compute-9"] }), "ha.segments[0].hosts[1]", /"compute-9" is not a declared host/],
        ["a segment member without a fence device", { ...withHa({}), fenceDevices: [ipmi] }, "ha.segments[0].hosts[1]", /compute-2 needs a fence device in fenceDevices/],
        ["a reserved host that is also in maintenance", { ...withHa({ recoveryMethod: "reserved_host", reservedHosts: ["compute-2"] }), maintenance: [{ host: "compute-2" }] }, "ha.segments[0].reservedHosts[0]", /reserved host compute-2 is in maintenance/],
        ["a reserved host outside the segment", withHa({ reservedHosts: ["n1"] }), "ha.segments[0].reservedHosts[0]", /reserved host n1 is not one of the segment's hosts/],
        ["a reserved-host recovery without a reserved host", withHa({ recoveryMethod: "reserved_host" }), "ha.segments[0].reservedHosts", /recovery method reserved_host needs at least one reserved host/],
        ["a host in two segments", { ...withHa({}), ha: { monitorSettingsPath: "/etc/m.ini", segments: [{ name: "a", hosts: ["compute-1", "compute-2"] }, { name: "b", hosts: ["compute-2", "compute-1"] }] } }, "ha.segments[1].hosts[0]", /compute-2 is already a member of ha.segments\[0\]/],
        ["an unknown recovery method", withHa({ recoveryMethod: "pray" }), "ha.segments[0].recoveryMethod", /expected one of "auto"\|"reserved_host"/],
        ["an IPv4 address with an octet over 255", withHost(1, { address: "10.77.0.256" }), "hosts[1].address", /expected an IPv4 address \(four numbers 0-255, without leading zeros\), received "10.77.0.256"/],
        ["an IPv4 address with leading zeros", withHost(1, { address: "10.77.0.021" }), "hosts[1].address", /expected an IPv4 address/],
        ["an IPv4 address with three octets", withHost(1, { address: "10.77.21" }), "hosts[1].address", /expected an IPv4 address/],
        ["a BMC address that is a mistyped IPv4 address", { ...good, fenceDevices: [{ ...ipmi, address: "10.77.0.1111" }] }, "fenceDevices[0].address", /expected an IPv4 address/],
        ["a DNS name with a numeric top-level label", withHost(1, { address: "n1.lab.123" }), "hosts[1].address", /expected an IPv4 or IPv6 address or a DNS name/],
        ["maintenance on every compute", { ...twoComputes, fenceDevices: [], maintenance: [{ host: "compute-1" }, { host: "compute-2" }] }, "maintenance", /every compute \(compute-1, compute-2\) is in maintenance or being evacuated: their servers would have nowhere to go/],
        ["every compute in maintenance or evacuated", { ...twoComputes, maintenance: [{ host: "compute-1" }], evacuations: [{ host: "compute-2" }] }, "maintenance", /nowhere to go/],
        ["notOn listing every compute", { ...withServer({ placement: { notOn: ["compute-1"] } }) }, "servers[0].placement.notOn", /notOn excludes every compute \(compute-1\): vm-1 could run nowhere/],
        ["maintenance and evacuation of one host", { ...twoComputes, maintenance: [{ host: "compute-1" }], evacuations: [{ host: "compute-1" }] }, "evacuations[0].host", /compute-1 is also in maintenance \(maintenance\[0\]\): a failed host is evacuated/],
        ["an evacuation sending a server where its placement does not want it", { ...twoComputes, computes: ["compute-1", "compute-2", "compute-3"], servers: [{ ...server, placement: { host: "compute-3" } }], evacuations: [{ host: "compute-1", servers: ["vm-1"], target: "compute-2" }] }, "evacuations[0].servers[0]", /sends vm-1 to compute-2, but its placement wants compute-3/],
        ["an evacuation to a host the server's placement excludes", { ...twoComputes, computes: ["compute-1", "compute-2", "compute-3"], servers: [{ ...server, placement: { notOn: ["compute-1", "compute-2"] } }], evacuations: [{ host: "compute-1", servers: ["vm-1"], target: "compute-2" }] }, "evacuations[0].servers[0]", /its placement wants any host but compute-1, compute-2/],
        ["a server named twice in one evacuation", { ...withServer({}), computes: ["compute-1", "compute-2"], evacuations: [{ host: "compute-1", fenced: true, servers: ["vm-1", "vm-1"] }] }, "evacuations[0].servers[1]", /server "vm-1" is listed twice \(first at index 0\)/],
        ["a compute listed twice", { ...good, computes: ["compute-1", "fake-1", "compute-1"] }, "computes[2]", /host "compute-1" is listed twice/],
        ["a host listed twice in notOn", { ...withServer({ placement: { notOn: ["compute-1", "compute-1"] } }), computes: ["compute-1", "compute-2"] }, "servers[0].placement.notOn[1]", /listed twice/],
        ["a compute listed twice for the instance store", { ...withGluster({}), instanceStore: { computes: ["compute-1", "compute-1"] } }, "instanceStore.computes[1]", /listed twice/],
        ["a segment member listed twice", { ...withHa({ hosts: ["compute-1", "compute-2", "compute-1"] }) }, "ha.segments[0].hosts[2]", /host "compute-1" is listed twice/],
        ["a brick path with a .. segment", withGluster({ bricks: [{ host: "n1", path: "/brick1/../etc" }, ...glusterGood.bricks.slice(1)] }), "gluster.bricks[0].path", /without "\." or "\.\." segments/],
        ["a brick path with a . segment", withGluster({ bricks: [{ host: "n1", path: "/brick1/./b1" }, ...glusterGood.bricks.slice(1)] }), "gluster.bricks[0].path", /without "\." or "\.\." segments/],
        ["a brick at the disk's root", withGluster({ bricks: [{ host: "n1", path: "/brick1/" }, ...glusterGood.bricks.slice(1)] }), "gluster.bricks[0].path", /a brick must be a directory below the brick disk's mount point/],
        ["a brick disk mounted on /", withGluster({ disk: { mountPoint: "/" } }), "gluster.disk.mountPoint", /not "\/"/],
        ["an instances path of /", { ...good, nova: { instancesPath: "/" } }, "nova.instancesPath", /not "\/"/],
        ["an instances path with ..", { ...good, nova: { instancesPath: "/var/lib/nova/../../etc" } }, "nova.instancesPath", /without "\." or "\.\." segments/],
        ["a nova.conf path with //", { ...good, nova: { configPath: "/etc//nova/nova.conf" } }, "nova.configPath", /"\/\/"/],
        ["a mount point with ..", withGluster({ disk: { mountPoint: "/srv/../brick1" } }), "gluster.disk.mountPoint", /without "\." or "\.\." segments/],
        ["a Ceph monitor that is no address", { ...good, ceph: { ...ceph, monitors: ["10.77.0.1:6789; reboot"] } }, "ceph.monitors[0]", /expected a monitor address/],
        ["a Ceph key of the wrong form", { ...good, ceph: { ...ceph, key: "not-a-key" } }, "ceph.key", /expected a cephx key/],
        ["a libvirt secret UUID of the wrong form", { ...good, ceph: { ...ceph, secretUuid: "1234" } }, "ceph.secretUuid", /expected the libvirt secret's UUID as a lowercase UUID/],
        ["RBD instance disks on an undeclared compute", { ...good, ceph: { ...ceph, instanceDisks: { computes: ["compute-9"] } } }, "ceph.instanceDisks.computes[0]", /"compute-9" is not a declared host/],
        ["RBD instance disks on a compute without the Ceph client", { ...twoComputes, fenceDevices: [], ceph: { ...ceph, computes: ["compute-1"], instanceDisks: { computes: ["compute-2"] } } }, "ceph.instanceDisks.computes[0]", /compute-2 keeps its instance disks in RBD, so it needs the Ceph client/],
        ["RBD instance disks on a compute that mounts the Gluster store", { ...withGluster({}), instanceStore: { computes: ["compute-1"] }, ceph: { ...ceph, instanceDisks: { computes: ["compute-1"] } } }, "ceph.instanceDisks.computes[0]", /also mounts the Gluster instance store.*one storage mode per compute/],
        ["an unknown move timeout action", { ...good, moves: { onTimeout: "retry" } }, "moves.onTimeout", /expected one of "abort"\|"force-complete"/],
    ])("rejects %s, at its exact path", (_what, cfg, path, message) => {
        const found = problems(cfg);
        expect(found.map((p) => p.path)).toContain(path);
        expect(found.find((p) => p.path === path)?.message).toMatch(message);
    });

    it("reports every problem at once", () => {
        const cfg = { ...good, extra: 1, hosts: [good.hosts[0], { ...good.hosts[0], address: "" }, { name: "Compute 1", address: "10.0.0.9", roles: [] }] };
        expect(problems(cfg).map((p) => p.path).sort()).toEqual([
            "extra",
            "hosts[1].address",
            "hosts[1].name", // a duplicate, found although other fields are invalid too
            "hosts[2].name",
            "hosts[2].roles",
        ]);
    });

    it("accepts the opt-ins when they are explicit", () => {
        const cfg = {
            ...withGluster({ replica: 2, arbiter: 0, acknowledgeSplitBrainRisk: true, bricks: glusterGood.bricks.slice(0, 2) }),
            libvirt: { transport: "tcp-insecure", allowInsecureTcp: true },
            instanceStore: { computes: ["compute-1"], server: "n1" },
        };
        const parsed = parseStackConfig("test", "livemig", raw(cfg), () => false);
        expect(parsed.gluster?.replica).toBe(2);
        expect(parsed.libvirt.transport).toBe("tcp-insecure");
    });

    it("accepts a cloud-only stack: servers and moves without hosts", () => {
        const cfg = parseStackConfig(
            "test",
            "livemig",
            raw({ computes: ["compute-1", "compute-2"], servers: [{ ...server, placement: { notOn: ["compute-2"] } }], evacuations: [{ host: "compute-2", fenced: true }] }),
            () => false,
        );
        expect(cfg.hosts).toEqual([]);
        expect(cfg.moves).toEqual({ blockMigration: "auto", timeoutSeconds: 600, onTimeout: "abort", preflight: true });
        expect(cfg.evacuations[0]).toMatchObject({ reboot: true, concurrency: 4 });
    });

    it("lets servers and evacuations go to a host declared back in service (maintenance: false)", () => {
        const cfg = parseStackConfig(
            "test",
            "livemig",
            raw({
                computes: ["compute-1", "compute-2"],
                servers: [{ ...server, placement: { host: "compute-2" } }],
                maintenance: [{ host: "compute-2", maintenance: false }],
                evacuations: [{ host: "compute-1", fenced: true, target: "compute-2" }],
            }),
            () => false,
        );
        expect(cfg.maintenance[0]!.maintenance).toBe(false);
    });

    it("insists that a private key in the config is a secret", () => {
        const cfg = { ...good, ssh: { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\n…" } };
        expect(problems(cfg).map((p) => p.path)).toEqual(["ssh.privateKey"]);
        expect(() => parseStackConfig("test", "livemig", raw(cfg), (k) => k === "livemig:ssh")).not.toThrow();
    });

    it("insists that a BMC password is a secret, and accepts an evacuation with a fence device", () => {
        const cfg = { ...good, computes: ["compute-1", "compute-2"], fenceDevices: [ipmi], evacuations: [{ host: "compute-1" }] };
        expect(problems(cfg).map((p) => p.path)).toEqual(["fenceDevices[0].password"]);
        expect(problems(cfg)[0]!.message).toContain("pulumi config set --secret --path 'fenceDevices[0].password'");
        const parsed = parseStackConfig("test", "livemig", raw(cfg), (k) => k === "livemig:fenceDevices");
        expect(parsed.fenceDevices[0]).toMatchObject({ agent: "fence_ipmilan", timeoutSeconds: 60 });
        expect(parsed.evacuations[0]!.fenced).toBe(false);
    });

    it("accepts a segment of fenced computes with its defaults", () => {
        const parsed = parseStackConfig("test", "livemig", raw(withHa({})), (k) => k === "livemig:fenceDevices");
        expect(parsed.ha).toMatchObject({ tokenMs: 1000, clusterInterface: "eth0", segments: [{ name: "lab", recoveryMethod: "auto", reservedHosts: [] }] });
    });

    it("insists that the Ceph key is a secret, and accepts RBD disks on a compute with the client", () => {
        const cfg = { ...good, ceph: { ...ceph, instanceDisks: { computes: ["compute-1"] } } };
        expect(problems(cfg).map((p) => p.path)).toEqual(["ceph.key"]);
        expect(problems(cfg)[0]!.message).toContain("pulumi config set --secret --path ceph.key");
        const parsed = parseStackConfig("test", "livemig", raw(cfg), (k) => k === "livemig:ceph");
        expect(parsed.ceph).toMatchObject({ user: "cinder", volumesPool: "volumes", instanceDisks: { pool: "vms", computes: ["compute-1"] } });
    });

    it("insists that the SASL password is a secret", () => {
        const cfg = { ...good, libvirt: { transport: "tcp-sasl", sasl: { password: "correct-horse-battery" } } };
        expect(problems(cfg).map((p) => p.path)).toEqual(["libvirt.sasl.password"]);
    });

    it("formats problems path-first, one per line", () => {
        try {
            parseStackConfig("lab", "livemig", raw(withHost(1, { address: "not an address" })), () => false);
        } catch (err) {
            expect((err as Error).message).toContain(
                '✖ expected an IPv4 or IPv6 address or a DNS name, received "not an address"\n    → at hosts[1].address',
            );
            expect((err as Error).message).toMatch(/^the config of stack "lab" has 1 problem; nothing was changed/);
            return;
        }
        throw new Error("expected a ConfigError");
    });
});
