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

const withHost = (i: number, patch: Record<string, unknown>) => ({
    ...good,
    hosts: good.hosts.map((h, j) => (j === i ? { ...h, ...patch } : h)),
});

describe("stack config", () => {
    it("accepts a good config and fills defaults", () => {
        const cfg = parseStackConfig("test", "livemig", raw(good), () => false);
        expect(cfg.ssh.user).toBe("root");
        expect(cfg.ssh.port).toBe(22);
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
        ["empty host list", { ...good, hosts: [] }, "hosts", /at least one host/],
        ["missing hosts", { ssh: good.ssh }, "hosts", /expected array, received undefined/],
        ["bad address", withHost(1, { address: "10.77.0.300; rm -rf /" }), "hosts[1].address", /expected an IPv4 or IPv6 address or a DNS name/],
        ["shell metacharacters in a name", withHost(0, { name: "compute-1$(reboot)" }), "hosts[0].name", /expected a host name/],
        ["unknown role", withHost(0, { roles: ["storage"] }), "hosts[0].roles[0]", /expected one of "compute"\|"gluster"/],
        ["relative key path", { ...good, ssh: { privateKeyPath: "id_ed25519" } }, "ssh.privateKeyPath", /expected an absolute path/],
        ["no key at all", { ...good, ssh: {} }, "ssh", /expected ssh.privateKeyPath or ssh.privateKey/],
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

    it("insists that a private key in the config is a secret", () => {
        const cfg = { ...good, ssh: { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\n…" } };
        expect(problems(cfg).map((p) => p.path)).toEqual(["ssh.privateKey"]);
        expect(() => parseStackConfig("test", "livemig", raw(cfg), (k) => k === "livemig:ssh")).not.toThrow();
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
