// The parts of Nova's resources this project reads. Index signatures keep the rest reachable.

export interface Server {
    id: string;
    name: string;
    /** ACTIVE, BUILD, MIGRATING, SHUTOFF, ERROR, REBUILD … */
    status: string;
    /** The compute host; admin-only (missing for non-admin credentials). */
    "OS-EXT-SRV-ATTR:host"?: string | null;
    "OS-EXT-SRV-ATTR:hypervisor_hostname"?: string | null;
    "OS-EXT-STS:task_state"?: string | null;
    "OS-EXT-STS:vm_state"?: string;
    "OS-EXT-STS:power_state"?: number;
    fault?: { code?: number; message?: string; details?: string };
    metadata?: Record<string, string>;
    [key: string]: unknown;
}

export interface Migration {
    id: number;
    uuid?: string;
    instance_uuid: string;
    /** accepted, queued, preparing, running, post-migrating, completed, done, error, failed, cancelled … */
    status: string;
    /** live-migration, evacuation, migration, resize (2.23+). */
    migration_type?: string;
    source_compute: string | null;
    dest_compute: string | null;
    source_node?: string | null;
    dest_node?: string | null;
    dest_host?: string | null;
    created_at: string;
    updated_at: string | null;
    [key: string]: unknown;
}

/** An in-progress live migration as /servers/{id}/migrations shows it (2.23+). */
export interface ServerMigration {
    id: number;
    server_uuid: string;
    status: string;
    source_compute: string;
    dest_compute: string;
    memory_total_bytes?: number | null;
    memory_processed_bytes?: number | null;
    created_at: string;
    [key: string]: unknown;
}

export interface ComputeService {
    /** A UUID from 2.53 on, an integer before. */
    id: string | number;
    binary: string;
    host: string;
    zone: string;
    status: "enabled" | "disabled";
    state: "up" | "down";
    disabled_reason: string | null;
    forced_down?: boolean;
    updated_at: string | null;
}

export interface Hypervisor {
    id: string | number;
    hypervisor_hostname: string;
    state: "up" | "down";
    status: "enabled" | "disabled";
    host_ip?: string;
    service?: { host: string; id: string | number; disabled_reason: string | null };
    [key: string]: unknown;
}

export interface Flavor {
    id: string;
    name: string;
    vcpus: number;
    ram: number;
    disk: number;
    [key: string]: unknown;
}

export interface BlockDeviceMapping {
    boot_index?: number | null;
    uuid?: string;
    source_type: "image" | "volume" | "snapshot" | "blank";
    destination_type?: "local" | "volume";
    volume_size?: number;
    delete_on_termination?: boolean;
    [key: string]: unknown;
}

export function serverHost(s: Server): string | undefined {
    return s["OS-EXT-SRV-ATTR:host"] ?? undefined;
}

export function taskState(s: Server): string | undefined {
    return s["OS-EXT-STS:task_state"] ?? undefined;
}

/** "ACTIVE on compute-1 (task migrating)": how states read in messages. */
export function describeServer(s: Server): string {
    const task = taskState(s);
    return `${s.status} on ${serverHost(s) ?? "an unknown host"}${task ? ` (task ${task})` : ""}`;
}
