// Nova request bodies chosen by the microversion the cloud supports. Pure, so every branch is tested
// without a cloud. Each returns the microversion to send with the body: the body's meaning is tied to it
// (e.g. `force` is accepted from 2.29/2.30 but rejected from 2.68), so we pin rather than send "latest".
import { UnsupportedError } from "./errors";
import { supports } from "./microversion";
import type { BlockDeviceMapping } from "./novaTypes";

export interface VersionedBody {
    /** undefined means no header: the cloud's base 2.1 behaviour. */
    microversion?: string;
    body: Record<string, unknown>;
}

export interface LiveMigrateOptions {
    /** Target host; null or absent lets the scheduler choose. */
    host?: string | null;
    /** true, false or "auto" (let Nova decide from the storage, 2.25+); default "auto" where supported, else false. */
    blockMigration?: boolean | "auto";
    /** Skip the scheduler's checks of the named host. Dangerous; needed for a named host before 2.30. */
    force?: boolean;
}

const FORCE_IMPLIED =
    "live migration to a named host on this cloud (microversion < 2.30) always bypasses the scheduler's checks; " +
    "pass force: true to accept that, or omit the host and let the scheduler choose";

/**
 * `os-migrateLive`, exactly as openstacksdk's compute/v2/server.py `live_migrate` branches:
 * 2.30+ {host, block_migration, force?}; 2.25+ {host, block_migration}; older {host, block_migration: bool,
 * disk_over_commit: false}.
 */
export function liveMigrateRequest(maxVersion: string, o: LiveMigrateOptions): VersionedBody {
    const host = o.host || null;
    if (supports(maxVersion, "2.30")) {
        const body: Record<string, unknown> = { host, block_migration: o.blockMigration ?? "auto" };
        if (host && o.force) body.force = true;
        return { microversion: "2.30", body: { "os-migrateLive": body } };
    }
    if (host && !o.force) throw new UnsupportedError(FORCE_IMPLIED);
    if (supports(maxVersion, "2.25")) {
        return { microversion: "2.25", body: { "os-migrateLive": { host, block_migration: o.blockMigration ?? "auto" } } };
    }
    if (o.blockMigration === "auto") {
        throw new UnsupportedError(`this cloud's Nova (max microversion ${maxVersion}) does not accept block_migration "auto"; pass true or false`);
    }
    return { body: { "os-migrateLive": { host, block_migration: o.blockMigration ?? false, disk_over_commit: false } } };
}

export interface EvacuateOptions {
    /** Target host; absent lets the scheduler choose. */
    host?: string;
    /** Only before 2.14: whether the instance's disk is on shared storage (Nova detects it itself since). */
    onSharedStorage?: boolean;
    /** Skip the scheduler's checks of the named host (2.29–2.67; implied before 2.29). */
    force?: boolean;
}

/** `evacuate`: 2.29 {host, force?}; 2.14 {host} (a named host is forced); older {host, onSharedStorage}. */
export function evacuateRequest(maxVersion: string, o: EvacuateOptions): VersionedBody {
    const body: Record<string, unknown> = {};
    if (o.host) body.host = o.host;
    if (supports(maxVersion, "2.29")) {
        // 2.29 is the newest version that still accepts `force` (2.68 removed it) and, unlike 2.14–2.28,
        // lets the scheduler validate a named host; 2.95 would leave the server stopped.
        if (o.host && o.force) body.force = true;
        return { microversion: "2.29", body: { evacuate: body } };
    }
    if (o.host && !o.force) {
        throw new UnsupportedError(FORCE_IMPLIED.replace("live migration", "evacuation").replace("2.30", "2.29"));
    }
    if (supports(maxVersion, "2.14")) return { microversion: "2.14", body: { evacuate: body } };
    body.onSharedStorage = o.onSharedStorage ?? false;
    return { body: { evacuate: body } };
}

export interface CreateServerOptions {
    name: string;
    flavorRef: string;
    /** Image to boot from; omit when booting from a volume in blockDeviceMapping. */
    imageRef?: string;
    blockDeviceMapping?: BlockDeviceMapping[];
    /** Compute host to pin the server to (2.74; admin). Older clouds get the forced `nova:HOST` zone. */
    host?: string;
    /** "none" for no network, "auto" for Nova's auto-allocation (2.37+); default: the cloud's default. */
    networks?: "none" | "auto";
    metadata?: Record<string, string>;
    /** Availability zone; later moves by the scheduler stay inside it. */
    availabilityZone?: string;
}

export function createServerRequest(maxVersion: string, o: CreateServerOptions): VersionedBody {
    const server: Record<string, unknown> = { name: o.name, flavorRef: o.flavorRef };
    // Nova wants imageRef present-but-empty for boot-from-volume on some versions; absent is fine on all.
    if (o.imageRef) server.imageRef = o.imageRef;
    if (o.blockDeviceMapping) server.block_device_mapping_v2 = o.blockDeviceMapping;
    if (o.metadata) server.metadata = o.metadata;
    if (o.availabilityZone) server.availability_zone = o.availabilityZone;
    if (o.networks) {
        if (!supports(maxVersion, "2.37")) {
            throw new UnsupportedError(`networks: "${o.networks}" needs compute microversion 2.37; this cloud's Nova supports up to ${maxVersion}`);
        }
        server.networks = o.networks;
    }
    let microversion = o.networks ? "2.37" : undefined;
    if (o.host) {
        if (supports(maxVersion, "2.74")) {
            server.host = o.host;
            microversion = "2.74";
        } else {
            // Before 2.74 the only way to name a host is the admin-only forced zone, which skips the scheduler.
            server.availability_zone = `${o.availabilityZone ?? "nova"}:${o.host}`;
        }
    }
    return { microversion, body: { server } };
}

export interface ServiceUpdate {
    status?: "enabled" | "disabled";
    /** Why it is disabled; only with status "disabled". */
    disabledReason?: string;
    forcedDown?: boolean;
}

/** PUT /os-services/{id} (2.53: services addressed by UUID). */
export function serviceUpdateRequest(maxVersion: string, u: ServiceUpdate): VersionedBody {
    if (!supports(maxVersion, "2.53")) {
        throw new UnsupportedError(`updating a compute service by id needs compute microversion 2.53; this cloud's Nova supports up to ${maxVersion}`);
    }
    if (u.disabledReason !== undefined && u.status !== "disabled") {
        throw new UnsupportedError('disabledReason can only be set together with status "disabled" (Nova rejects it otherwise)');
    }
    const body: Record<string, unknown> = {};
    if (u.status) body.status = u.status;
    if (u.disabledReason !== undefined) body.disabled_reason = u.disabledReason;
    if (u.forcedDown !== undefined) body.forced_down = u.forcedDown;
    if (Object.keys(body).length === 0) throw new UnsupportedError("a compute service update needs status, disabledReason or forcedDown");
    return { microversion: "2.53", body };
}
