// HaSegment: automatic recovery for the computes of one Masakari segment. A Corosync/Pacemaker cluster
// over them fences a lost member through its BMC and forces its compute service down in Nova; Masakari's
// monitors on each member report the failure once fenced; the segment and its hosts are registered in
// Masakari, which then evacuates the failed host's servers.
import * as pulumi from "../providers/sdk";
import type { FenceDevice } from "../lib/fencing/agent";
import { haClusterMember, haClusterResources, haMonitors, type ClusterFence, type MonitorLogin } from "../lib/hostscripts/ha";
import { secretsStdin } from "../lib/hostscripts/prelude";
import type { SshTarget } from "../lib/ssh/exec";
import { MasakariSegment, MasakariSegmentHost } from "../providers/haSegment";
import { RemoteScript } from "../providers/remoteScript";
import { RandomKey } from "../providers/tls";

export interface HaSegmentArgs {
    /** The segment's name (and the cluster's). */
    name: string;
    recoveryMethod: "auto" | "reserved_host" | "auto_priority" | "rh_priority";
    /** The members: how to reach each over SSH, and its address on the cluster network. */
    hosts: SshTarget[];
    reservedHosts: string[];
    /** Each member's power device (the password a secret). */
    fences: pulumi.Input<(FenceDevice & { host: string })[]>;
    /** PEM CA bundle of the Redfish BMCs' certificates, when they use a private CA. */
    bmcCaPem?: string;
    /** The monitors' (and fence_compute's) Keystone login; its password a secret. */
    login: MonitorLogin;
    password: pulumi.Input<string>;
    tokenMs: number;
    clusterInterface: string;
    hostMonitorIntervalSeconds: number;
    processCheckIntervalSeconds: number;
    processRestartRetries: number;
    /** Masakari on_maintenance per member when the config says (maintenance entries); absent: not managed. */
    onMaintenance: Record<string, boolean | undefined>;
    /** What must be done on a member first (its nova-compute running). */
    after: Record<string, pulumi.Resource[]>;
}

export class HaSegment extends pulumi.ComponentResource {
    readonly segment: MasakariSegment;
    readonly hosts: MasakariSegmentHost[] = [];

    constructor(name: string, args: HaSegmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("livemig:index:HaSegment", name, {}, opts);
        const key = new RandomKey(`${name}-corosync-key`, { purpose: `corosync authkey of ${args.name}`, bytes: 256 }, { parent: this });
        const nodes = args.hosts.map((h) => ({ name: h.name, address: h.address }));
        const spec = pulumi.output(args.fences).apply((fences) => ({
            cluster: args.name,
            nodes,
            tokenMs: args.tokenMs,
            fences: fences.map(({ password: _p, ...f }): ClusterFence => f),
            bmcCaPem: args.bmcCaPem,
            login: args.login,
        }));
        // The secrets in the order the member script reads them (clusterSecretsOrder).
        const stdin = pulumi.secret(
            pulumi.all([key.key, args.fences, args.password]).apply(([k, fences, password]) => secretsStdin([k, ...fences.map((f) => f.password), password])),
        );
        const members = args.hosts.map(
            (h) =>
                new RemoteScript(
                    `${name}-${h.name}-cluster`,
                    {
                        host: h,
                        step: `cluster member of ${args.name}`,
                        create: spec.apply((s) => haClusterMember(s).create),
                        check: spec.apply((s) => haClusterMember(s).check),
                        delete: spec.apply((s) => haClusterMember(s).delete),
                        stdin,
                    },
                    { parent: this, dependsOn: args.after[h.name] },
                ),
        );
        const fencing = new RemoteScript(
            `${name}-fencing`,
            {
                host: args.hosts[0]!,
                step: `fencing of the ${args.name} cluster`,
                create: spec.apply((s) => haClusterResources(s).create),
                check: spec.apply((s) => haClusterResources(s).check),
            },
            { parent: this, dependsOn: members },
        );
        const monitors = args.hosts.map((h) => {
            const step = haMonitors({
                host: h.name,
                login: args.login,
                interface: args.clusterInterface,
                hostMonitorIntervalSeconds: args.hostMonitorIntervalSeconds,
                processCheckIntervalSeconds: args.processCheckIntervalSeconds,
                processRestartRetries: args.processRestartRetries,
            });
            return new RemoteScript(
                `${name}-${h.name}-monitors`,
                { host: h, step: "Masakari monitors", create: step.create, check: step.check, delete: step.delete, stdin: pulumi.secret(pulumi.output(args.password).apply((p) => secretsStdin([p]))) },
                { parent: this, dependsOn: [fencing] },
            );
        });
        this.segment = new MasakariSegment(
            `${name}-segment`,
            { name: args.name, recoveryMethod: args.recoveryMethod, serviceType: "COMPUTE", description: `livemig: ${args.hosts.length} computes, fenced by Pacemaker` },
            { parent: this },
        );
        args.hosts.forEach((h, i) => {
            const onMaintenance = args.onMaintenance[h.name];
            this.hosts.push(
                new MasakariSegmentHost(
                    `${name}-${h.name}-host`,
                    { segmentId: this.segment.uuid, name: h.name, reserved: args.reservedHosts.includes(h.name), ...(onMaintenance !== undefined ? { onMaintenance } : {}) },
                    { parent: this, dependsOn: [monitors[i]!] },
                ),
            );
        });
        this.registerOutputs({ segment: this.segment.uuid });
    }
}
