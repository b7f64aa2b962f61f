// GlusterCluster: brick disks formatted and mounted on every gluster host, glusterd running, the trusted
// pool probed from the first host, and the volume created with its bricks in the configured order.
import * as pulumi from "../providers/sdk";
import { brickDisk, peerProbe, volume, type VolumeSpec } from "../lib/hostscripts/gluster";
import type { SshTarget } from "../lib/ssh/exec";
import { RemoteScript } from "../providers/remoteScript";

export interface GlusterClusterArgs {
    /** Every gluster host; the first one probes the others and creates the volume. */
    hosts: SshTarget[];
    disk: { device: string; mountPoint: string; format: "ifEmpty" | "force" };
    /** Bricks in volume order, by host name. */
    bricks: { host: string; path: string }[];
    volume: Omit<VolumeSpec, "bricks">;
}

export class GlusterCluster extends pulumi.ComponentResource {
    /** Volume name. */
    readonly volumeName: pulumi.Output<string>;
    /** Addresses of the gluster hosts, the first one first (mount source, then backups). */
    readonly servers: pulumi.Output<string[]>;
    readonly volume: RemoteScript;

    constructor(name: string, args: GlusterClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("livemig:index:GlusterCluster", name, {}, opts);
        const [first, ...others] = args.hosts;
        if (!first) throw new Error(`${name}: a gluster cluster needs at least one host`);
        const address = new Map(args.hosts.map((h) => [h.name, h.address]));

        const disks = args.hosts.map(
            (host) =>
                new RemoteScript(
                    `${name}-${host.name}-brick-disk`,
                    {
                        host,
                        step: "brick disk and glusterd",
                        ...brickDisk({ ...args.disk, brickDirs: args.bricks.filter((b) => b.host === host.name).map((b) => b.path) }),
                    },
                    { parent: this },
                ),
        );
        const probe = new RemoteScript(
            `${name}-peers`,
            { host: first, step: "gluster trusted pool", ...peerProbe(others.map((h) => h.address)) },
            { parent: this, dependsOn: disks },
        );
        this.volume = new RemoteScript(
            `${name}-volume`,
            {
                host: first,
                step: `gluster volume ${args.volume.name}`,
                ...volume({ ...args.volume, bricks: args.bricks.map((b) => `${address.get(b.host)}:${b.path}`) }),
            },
            { parent: this, dependsOn: [probe] },
        );
        // The volume's own bricks first: the mount fetches the layout from a server that holds the volume.
        const brickHosts = [...new Set(args.bricks.map((b) => address.get(b.host)!))];
        this.volumeName = pulumi.output(args.volume.name);
        this.servers = this.volume.id.apply(() => brickHosts);
        this.registerOutputs({ volumeName: this.volumeName, servers: this.servers });
    }
}
