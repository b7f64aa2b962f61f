// Config of the host-side pieces: libvirt's migration listener, nova's migration settings, the GlusterFS
// volume and the instance store. Cross-field rules (which need the host list) live in crossChecks.ts.
import { z } from "zod";
import { absolutePath, hostName, mountPoint, unixUser } from "./fields";

export const TRANSPORTS = ["tls", "tcp-sasl", "tcp-insecure"] as const;

export const libvirtSchema = z.strictObject({
    /**
     * How libvirtd accepts migration connections from other computes; default tls (certificates from a
     * CA the stack creates). tcp-sasl: TCP with a SASL (DIGEST-MD5) password, weaker than TLS. tcp-insecure: the walkthrough's
     * auth_tcp = "none", only with allowInsecureTcp.
     */
    transport: z.enum(TRANSPORTS).default("tls"),
    /** Required to use tcp-insecure: anyone who reaches port 16509 then controls every VM on the host. */
    allowInsecureTcp: z.boolean().default(false),
    /** tcp-sasl only: the SASL user every compute logs in as; the password must be a secret. */
    sasl: z
        .strictObject({
            username: unixUser.default("migration"),
            password: z.string().min(12, { error: "expected a SASL password of at least 12 characters" }),
        })
        .optional(),
    /**
     * Where libvirt takes the host UUID from; default smbios. Use machine-id where hosts share SMBIOS data
     * (containers, cloned VMs): identical UUIDs make nova refuse to migrate ("same host").
     */
    hostUuidSource: z.enum(["smbios", "machine-id"]).default("smbios"),
});

export const novaDefaults = {
    configPath: "/etc/nova/nova.conf",
    instancesPath: "/var/lib/nova/instances",
    maxConcurrentLiveMigrations: 1,
    permitPostCopy: true,
    permitAutoConverge: true,
    timeoutAction: "abort",
    completionTimeout: 800,
} as const;

export const novaSchema = z.strictObject({
    /** nova.conf on every compute; default /etc/nova/nova.conf. */
    configPath: absolutePath.default(novaDefaults.configPath),
    /** nova's instances_path; default /var/lib/nova/instances (where the instance store is mounted). */
    instancesPath: mountPoint.default(novaDefaults.instancesPath),
    /** [DEFAULT] max_concurrent_live_migrations; default 1, 0 = unlimited. */
    maxConcurrentLiveMigrations: z.int().min(0).max(64).default(novaDefaults.maxConcurrentLiveMigrations),
    /** [libvirt] live_migration_permit_post_copy; default true (bounded downtime for busy guests). */
    permitPostCopy: z.boolean().default(novaDefaults.permitPostCopy),
    /** [libvirt] live_migration_permit_auto_converge; default true. */
    permitAutoConverge: z.boolean().default(novaDefaults.permitAutoConverge),
    /** [libvirt] live_migration_timeout_action; default abort. */
    timeoutAction: z.enum(["abort", "force_complete"]).default(novaDefaults.timeoutAction),
    /** [libvirt] live_migration_completion_timeout in seconds per GiB; default 800, 0 = none. */
    completionTimeout: z.int().min(0).default(novaDefaults.completionTimeout),
    /** [libvirt] live_migration_bandwidth in MiB/s; default: not set (unlimited). */
    bandwidth: z.int().min(0).optional(),
});

export const brickSchema = z.strictObject({
    /** A host with the gluster role. */
    host: hostName,
    /** Brick directory; must be below the host's brick disk mount point. */
    path: absolutePath,
});

export const glusterSchema = z.strictObject({
    /** Volume name; default nova-gluster-vol (the walkthrough's). */
    volume: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: (i) => `expected a volume name (letters, digits, "_", "-"), received ${JSON.stringify(i.input)}` })
        .default("nova-gluster-vol"),
    /** Copies of each file; default 3. With 2, split-brain can lose writes: see acknowledgeSplitBrainRisk. */
    replica: z.int().min(2).max(4).default(3),
    /** 1 = the last brick of every replica set is an arbiter (metadata only); needs replica 3. Default 0. */
    arbiter: z.int().min(0).max(1).default(0),
    /** Must be true to use replica 2 (gluster itself only asks interactively, and --mode=script says yes). */
    acknowledgeSplitBrainRisk: z.boolean().default(false),
    /** The brick disk on every gluster host. */
    disk: z
        .strictObject({
            /** Block device; default /dev/sdb. */
            device: absolutePath.default("/dev/sdb"),
            /** Where it is mounted; default /brick1. */
            mountPoint: mountPoint.default("/brick1"),
            /**
             * ifEmpty (default): make an XFS filesystem only on a disk that holds none, and stop if it holds
             * another one. force: reformat whatever is there (destroys data).
             */
            format: z.enum(["ifEmpty", "force"]).default("ifEmpty"),
        })
        .default({ device: "/dev/sdb", mountPoint: "/brick1", format: "ifEmpty" }),
    /** Bricks in volume order: consecutive groups of `replica` bricks form one replica set. */
    bricks: z.array(brickSchema).min(2, { error: "expected at least two bricks" }),
    /** Apply gluster's `virt` option group (VM image tuning); default true. */
    virtGroup: z.boolean().default(true),
    /** uid/gid that owns the volume's root (nova's on the computes); default 64060 (Debian's nova). */
    ownerUid: z.int().min(0).default(64060),
    ownerGid: z.int().min(0).default(64060),
    /** Further volume options, e.g. {"network.ping-timeout": "10"}. */
    options: z
        .record(
            z.string().regex(/^[a-z0-9._-]+$/, { error: "expected a gluster option name like network.ping-timeout" }),
            z.string().regex(/^[A-Za-z0-9._:,\/-]*$/, { error: "expected an option value of letters, digits and . _ : , / -" }),
        )
        .default({}),
});

export const instanceStoreSchema = z.strictObject({
    /** Computes that mount the volume; default every host with the compute role. */
    computes: z.array(hostName).min(1).optional(),
    /** Gluster host the mount fetches the volume layout from; default the first brick's host (the others are backups). */
    server: hostName.optional(),
});

export const novaComputeSchema = z.strictObject({
    /**
     * An INI file (nova.conf syntax) with the control plane's settings every compute needs: transport_url,
     * [placement], [neutron], [service_user] credentials… Read at deploy time on the machine running
     * Pulumi, kept as a secret, written into each compute's nova.conf. The lab writes one at `lab up`.
     */
    controllerSettingsPath: absolutePath,
    /** Computes that run nova-compute with the libvirt driver; default every host with the compute role. */
    computes: z.array(hostName).min(1).optional(),
    /** kvm (default) on hardware; qemu for software emulation (the lab). */
    virtType: z.enum(["kvm", "qemu"]).default("kvm"),
    /** host-model (default) on hardware; none for emulated guests. */
    cpuMode: z.enum(["host-model", "host-passthrough", "none"]).default("host-model"),
});
