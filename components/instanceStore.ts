// InstanceStore: the GlusterFS volume mounted at nova's instances path on every compute.
import * as pulumi from "../providers/sdk";
import { instanceStoreMount } from "../lib/hostscripts/instanceStore";
import type { SshTarget } from "../lib/ssh/exec";
import { RemoteScript } from "../providers/remoteScript";

export interface InstanceStoreArgs {
    computes: SshTarget[];
    volumeName: pulumi.Input<string>;
    /** Gluster server addresses: the first serves the volume layout, the others are backups. */
    servers: pulumi.Input<string[]>;
    /** nova's instances_path. */
    path: string;
    /** nova's uid/gid, the same on every compute (and the volume's owner). */
    uid: number;
    gid: number;
}

export class InstanceStore extends pulumi.ComponentResource {
    readonly mounts: RemoteScript[];

    constructor(name: string, args: InstanceStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("livemig:index:InstanceStore", name, {}, opts);
        const step = pulumi.all([args.volumeName, args.servers]).apply(([vol, [server, ...backups]]) =>
            instanceStoreMount({ source: `${server}:/${vol}`, backupServers: backups, path: args.path, uid: args.uid, gid: args.gid }),
        );
        this.mounts = args.computes.map(
            (host) =>
                new RemoteScript(
                    `${name}-${host.name}`,
                    { host, step: "instance store mount", create: step.create, check: step.check },
                    { parent: this },
                ),
        );
        this.registerOutputs({});
    }
}
