// The stack config (the `livemig:*` keys of stacks/Pulumi.<stack>.yaml), as one zod schema.
// Every object is strict: a misspelt key is an error, never silently ignored.
import { z } from "zod";
import { absolutePath, address, cloudName, hostName, port, unixUser } from "./fields";
import { evacuationSchema, maintenanceSchema, moveDefaults, movesSchema, serverSchema } from "./cloudSchemas";
import { crossChecks } from "./crossChecks";
import { cephSchema } from "./cephSchemas";
import { fenceDeviceSchema } from "./fenceSchemas";
import { haSchema } from "./haSchemas";
import { glusterSchema, instanceStoreSchema, libvirtSchema, novaComputeSchema, novaDefaults, novaSchema } from "./hostSchemas";

export const ROLES = ["compute", "gluster"] as const;

/** OpenStack credentials are never config values here: they come from clouds.yaml or OS_* variables. */
export const openstackSchema = z.strictObject({
    /** Name of a cloud in clouds.yaml (as OS_CLOUD); when absent, the OS_* environment variables are used. */
    cloud: cloudName.optional(),
    /** Region to use; default: the cloud's own (or OS_REGION_NAME). */
    region: cloudName.optional(),
});

export const sshSchema = z
    .strictObject({
        /** Login user on every host; default root. */
        user: unixUser.default("root"),
        /** SSH port; default 22. */
        port: port.default(22),
        /** A private key file on the machine that runs Pulumi (read at deploy time, never stored). */
        privateKeyPath: absolutePath.optional(),
        /** The private key itself; must be set with `pulumi config set --secret --path ssh.privateKey`. */
        privateKey: z.string().min(1, { error: "expected a private key in OpenSSH or PEM format, received an empty string" }).optional(),
        /** known_hosts file that every host key must match; without it, host keys are not checked (a warning). */
        knownHostsPath: absolutePath.optional(),
        /** Seconds to keep retrying to connect to a host that does not answer yet; default 60. */
        connectTimeoutSeconds: z.int().min(1).max(3600).default(60),
    })
    .refine((s) => s.privateKeyPath !== undefined || s.privateKey !== undefined, {
        error: "expected ssh.privateKeyPath or ssh.privateKey (a secret); neither is set",
    });

export const hostSchema = z.strictObject({
    /** Host name; nova-compute and gluster know the host by it. */
    name: hostName,
    /** Address the machine running Pulumi reaches the host at over SSH. */
    address,
    /** What the host is for; at least one of: compute, gluster. */
    roles: z.array(z.enum(ROLES)).min(1, { error: "expected at least one role: compute or gluster" }),
    /** Per-host SSH overrides; default: the stack's `ssh` settings. */
    ssh: z.strictObject({ user: unixUser.optional(), port: port.optional() }).optional(),
});

export const stackConfigSchema = z
    .strictObject({
        openstack: openstackSchema.default({}),
        /** How to reach the hosts; required when there are hosts. */
        ssh: sshSchema.optional(),
        /** Hosts this stack configures over SSH; default none (a stack may only manage servers and moves). */
        hosts: z.array(hostSchema).default([]),
        libvirt: libvirtSchema.default({ transport: "tls", allowInsecureTcp: false, hostUuidSource: "smbios" }),
        nova: novaSchema.default(novaDefaults),
        /** Run nova-compute (libvirt driver) on the compute hosts; default: only configure migration settings. */
        novaCompute: novaComputeSchema.optional(),
        gluster: glusterSchema.optional(),
        instanceStore: instanceStoreSchema.optional(),
        /** The computes' client of an existing Ceph cluster: RBD volumes, and RBD instance disks on some computes; default none. */
        ceph: cephSchema.optional(),
        /** Nova compute host names the stack may place servers on; default: the hosts with the compute role. */
        computes: z.array(hostName).min(1).optional(),
        /** How live migrations and evacuations behave. */
        moves: movesSchema.default(moveDefaults),
        servers: z.array(serverSchema).default([]),
        maintenance: z.array(maintenanceSchema).default([]),
        evacuations: z.array(evacuationSchema).default([]),
        /** How each host is powered off and on (its BMC), so that an evacuation can fence it first; default none. */
        fenceDevices: z.array(fenceDeviceSchema).default([]),
        /** Automatic recovery from host failure (Masakari segments over Corosync/Pacemaker clusters); default none. */
        ha: haSchema.optional(),
    })
    // Runs even when other fields are invalid (`when`), so every problem is reported in one go.
    .superRefine(crossChecks, { when: () => true });

export type StackConfig = z.output<typeof stackConfigSchema>;
export type HostConfig = StackConfig["hosts"][number];
export type Role = (typeof ROLES)[number];
