// Config of the computes' Ceph client: an existing Ceph cluster (deployed by its own tools, as in
// production) whose RBD pools hold Cinder volumes and, on some computes, the instance disks themselves
// (nova's images_type = rbd): a third storage mode beside the Gluster store and local disk.
// Cross-field rules (which computes, one storage mode per compute) are in crossChecks.ts.
import { z } from "zod";
import { hostName, isDnsName } from "./fields";
import { isIP } from "node:net";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const uuid = (what: string) =>
    z.string().regex(UUID, { error: (i) => `expected ${what} as a lowercase UUID (8-4-4-4-12 hex digits), received ${JSON.stringify(i.input)}` });

/** A monitor: an address or name, optionally with a port ("10.0.0.1", "mon-1:6789", "[fd00::1]:3300"). */
const monitor = z.string().refine(
    (s) => {
        const m = /^\[([0-9a-fA-F:]+)\](?::(\d{1,5}))?$/.exec(s) ?? /^([^:\[\]]+)(?::(\d{1,5}))?$/.exec(s);
        if (!m) return false;
        const port = m[2] === undefined ? 6789 : Number(m[2]);
        return (isIP(m[1]!) !== 0 || isDnsName(m[1]!)) && port >= 1 && port <= 65535;
    },
    { error: (i) => `expected a monitor address, optionally with a port (10.0.0.1, mon-1:6789, [fd00::1]:3300), received ${JSON.stringify(i.input)}` },
);

const poolName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
    error: (i) => `expected a pool name (letters, digits, ".", "_", "-"), received ${JSON.stringify(i.input)}`,
});

/** A cephx key as ceph-authtool prints it: base64 of a 28-byte blob (40 characters, ending in "=="). */
const cephxKey = z.string().regex(/^[A-Za-z0-9+/]{38}==$/, { error: "expected a cephx key (40 base64 characters, as `ceph auth get-key` prints it)" });

export const cephSchema = z.strictObject({
    /** The cluster's monitors (mon_host). */
    monitors: z.array(monitor).min(1, { error: "expected at least one monitor" }),
    /** The cluster's fsid; optional (clients do not need it), checked against the cluster when set. */
    fsid: uuid("the cluster's fsid").optional(),
    /** The cephx user the computes (nova, libvirt) authenticate as, without "client."; default cinder (as Cinder's rbd_user). */
    user: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { error: (i) => `expected a cephx user name without "client.", received ${JSON.stringify(i.input)}` }).default("cinder"),
    /** The user's key: a Pulumi secret (pulumi config set --secret --path ceph.key). */
    key: cephxKey,
    /** The UUID of the libvirt secret that holds the key: the same on every compute and as Cinder's rbd_secret_uuid. */
    secretUuid: uuid("the libvirt secret's UUID"),
    /** The pool of Cinder's volumes (checked by pre-flight: the destination must reach it); default volumes. */
    volumesPool: poolName.default("volumes"),
    /** Computes that get the Ceph client (config, keyring, libvirt secret); default every host with the compute role. */
    computes: z.array(hostName).min(1).optional(),
    /** Instance disks as RBD images (nova's images_type = rbd) on these computes: moves between them are shared-storage moves. */
    instanceDisks: z
        .strictObject({
            /** The pool nova creates instance disks in (images_rbd_pool); default vms. */
            pool: poolName.default("vms"),
            /** The computes whose instance disks live in the pool. */
            computes: z.array(hostName).min(1),
        })
        .optional(),
});

export type CephConfig = z.output<typeof cephSchema>;
