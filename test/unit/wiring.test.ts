// Component wiring under Pulumi's mocks (fast; the lab tests run the same components for real).
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";

const registered: { type: string; name: string; inputs: Record<string, unknown> }[] = [];

beforeAll(() => {
    pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                return { id: `${args.name}-id`, state: { ...args.inputs, certPem: "CERT", keyPem: "KEY" } };
            },
            call: () => ({}),
        },
        "livemig",
        "unit",
        true,
    );
});

const host = { name: "compute-1", address: "10.77.0.11", port: 22, user: "root" };
const nova = {
    configPath: "/etc/nova/nova.conf",
    instancesPath: "/var/lib/nova/instances",
    maxConcurrentLiveMigrations: 1,
    permitPostCopy: true,
    permitAutoConverge: true,
    timeoutAction: "abort" as const,
    completionTimeout: 800,
};

function outputOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply(resolve));
}

describe("ComputeHost", () => {
    it("with tls: a certificate from the stack's CA, and a libvirt script that reads its key from stdin", async () => {
        const { ComputeHost } = await import("../../components/computeHost");
        const c = new ComputeHost("c1", { host, transport: "tls", hostUuidSource: "machine-id", ca: { certPem: "CA", keyPem: "CAKEY" }, nova });
        const create = await outputOf(c.libvirt.urn.apply(() => registered.find((r) => r.name === "c1-libvirt")!.inputs.create as string));
        expect(registered.map((r) => r.name)).toEqual(expect.arrayContaining(["c1-cert", "c1-libvirt", "c1-nova"]));
        expect(create).toContain("libvirtd-tls.socket");
        expect(create).toContain("read_secret TLS_KEY");
        const nova_ = registered.find((r) => r.name === "c1-nova")!.inputs.create as string;
        expect(nova_).toContain("'live_migration_scheme' 'tls'");
        expect(nova_).toContain("'live_migration_inbound_addr' '10.77.0.11'");
    });

    it("with tcp-insecure: no certificate, the TCP socket, auth none", async () => {
        const { ComputeHost } = await import("../../components/computeHost");
        const c = new ComputeHost("c2", { host: { ...host, name: "compute-2" }, transport: "tcp-insecure", hostUuidSource: "smbios", nova });
        await outputOf(c.libvirt.urn);
        expect(registered.some((r) => r.name === "c2-cert")).toBe(false);
        const create = registered.find((r) => r.name === "c2-libvirt")!.inputs.create as string;
        expect(create).toContain("libvirtd-tcp.socket");
        expect(create).toContain(`'auth_tcp' '"none"'`);
    });
});

describe("GlusterCluster", () => {
    it("probes from the first host after every brick disk, and creates the volume with bricks in order", async () => {
        const { GlusterCluster } = await import("../../components/glusterCluster");
        const hosts = ["n1", "n2", "n3"].map((name, i) => ({ name, address: `10.77.0.2${i + 1}`, port: 22, user: "root" }));
        const g = new GlusterCluster("g", {
            hosts,
            disk: { device: "/dev/sdb", mountPoint: "/brick1", format: "ifEmpty" },
            bricks: [
                { host: "n1", path: "/brick1/a" },
                { host: "n2", path: "/brick1/a" },
                { host: "n3", path: "/brick1/arb" },
            ],
            volume: { name: "vol", replica: 3, arbiter: 1, virtGroup: true, ownerUid: 64060, ownerGid: 64060, options: {} },
        });
        expect(await outputOf(g.servers)).toEqual(["10.77.0.21", "10.77.0.22", "10.77.0.23"]);
        const volume = registered.find((r) => r.name === "g-volume")!.inputs;
        expect((volume.host as { name: string }).name).toBe("n1");
        expect(volume.create).toContain("volume create \"$vol\" replica 3 arbiter 1 '10.77.0.21:/brick1/a' '10.77.0.22:/brick1/a' '10.77.0.23:/brick1/arb'");
        const probe = registered.find((r) => r.name === "g-peers")!.inputs.create as string;
        expect(probe).toContain("for p in '10.77.0.22' '10.77.0.23'; do");
    });
});
