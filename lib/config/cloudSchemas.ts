// Config of the cloud side: servers and their placement, host maintenance, evacuations, and how moves
// behave. Cross-field rules (names that must exist, conflicting plans) are in cloudChecks.ts.
import { z } from "zod";
import { hostName } from "./fields";

const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const serverName = z.string().regex(SERVER_NAME, {
    error: (i) => `expected a server name (letters, digits, ".", "_", "-"; up to 63 characters), received ${JSON.stringify(i.input)}`,
});
const resourceName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._ -]{0,127}$/, {
    error: (i) => `expected a flavor/image name (letters, digits, ".", "_", "-", spaces), received ${JSON.stringify(i.input)}`,
});

export const moveDefaults = { blockMigration: "auto", timeoutSeconds: 600, onTimeout: "abort", preflight: true } as const;

export const movesSchema = z.strictObject({
    /** auto (default): Nova picks block migration when the instance storage is not shared; true/false force it. */
    blockMigration: z.union([z.literal("auto"), z.boolean()]).default(moveDefaults.blockMigration),
    /** How long one move may take before onTimeout; default 600. */
    timeoutSeconds: z.int().min(10).max(86_400).default(moveDefaults.timeoutSeconds),
    /** What to do with a live migration still running at its timeout: abort (default) or force-complete. */
    onTimeout: z.enum(["abort", "force-complete"]).default(moveDefaults.onTimeout),
    /**
     * Before a planned move between computes this stack configures, check over SSH what Nova would only
     * find out during the migration (libvirt reachable, same instances path and nova uid/gid, storage
     * really shared or not, compatible CPU); default true.
     */
    preflight: z.boolean().default(moveDefaults.preflight),
});

export const placementSchema = z
    .strictObject({
        /** Run exactly on this compute. */
        host: hostName.optional(),
        /** Run anywhere but on these computes (the scheduler picks). */
        notOn: z.array(hostName).min(1).optional(),
    })
    .refine((p) => !(p.host && p.notOn), { error: "set host or notOn, not both" });

export const serverSchema = z
    .strictObject({
        name: serverName,
        flavor: resourceName,
        /** Boot from this image; or use bootVolume. */
        image: resourceName.optional(),
        /** Boot from a new bootable Cinder volume; `image` inside it is copied into the volume when set. */
        bootVolume: z
            .strictObject({
                /** GiB. */
                size: z.int().min(1).max(16_384),
                image: resourceName.optional(),
            })
            .optional(),
        /** Availability zone; default the cloud's. Moves to the scheduler's choice stay inside it. */
        availabilityZone: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { error: (i) => `expected an availability zone name, received ${JSON.stringify(i.input)}` }).optional(),
        /** Where the server must run; default: wherever it is. */
        placement: placementSchema.optional(),
    })
    .refine((s) => (s.image === undefined) !== (s.bootVolume === undefined), {
        error: "set exactly one of image (image-backed) or bootVolume (boot from volume)",
    });

export const maintenanceSchema = z.strictObject({
    /** Compute to take out of service: disabled, then drained by live migration. */
    host: hostName,
    /** true (default): in maintenance. false: back in service (enabled again). */
    maintenance: z.boolean().default(true),
    /** Shown as the service's disabled reason; default "livemig: host maintenance". */
    reason: z
        .string()
        .min(1)
        .max(255)
        .regex(/^[^\u0000-\u001f]*$/, { error: "expected a reason without control characters" })
        .default("livemig: host maintenance"),
    /** Servers moved at once; default 2. */
    concurrency: z.int().min(1).max(32).default(2),
});

export const evacuationSchema = z.strictObject({
    /** The failed compute. */
    host: hostName,
    /**
     * You powered the host off yourself (it has no fence device, or its device cannot be reached): the
     * provider forces its service down and evacuates at once. Without it, the host's fence device
     * (fenceDevices) must power it off and report it off first; with neither, the evacuation is refused.
     */
    fenced: z.boolean().default(false),
    /** Server names to recover; default: every server on the host. */
    servers: z.array(serverName).min(1).optional(),
    /** Where to; default: the scheduler's choice. */
    target: hostName.optional(),
    /** Hard-reboot each recovered server that came back stopped (the walkthrough's `nova reboot`); default true. */
    reboot: z.boolean().default(true),
    /** Servers recovered at once; default 4. */
    concurrency: z.int().min(1).max(32).default(4),
});
