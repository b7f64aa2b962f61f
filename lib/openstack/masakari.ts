// Masakari's API (instance HA, service type `instance-ha`, v1): failover segments, the hosts in them,
// and the notifications its monitors send. Microversion 1.0 covers all of it.
import { NotFoundError, WaitTimeoutError } from "./errors";
import { waitFor } from "./wait";
import type { OpenStackSession } from "./session";

export type RecoveryMethod = "auto" | "reserved_host" | "auto_priority" | "rh_priority";

export interface Segment {
    uuid: string;
    name: string;
    recovery_method: RecoveryMethod;
    service_type: string;
    description?: string | null;
    /** 1.2+; absent (enabled) before. */
    enabled?: boolean;
    [key: string]: unknown;
}

export interface SegmentHost {
    uuid: string;
    name: string;
    /** COMPUTE (a nova-compute host). */
    type: string;
    control_attributes: string;
    reserved: boolean;
    on_maintenance: boolean;
    failover_segment_id?: string;
    [key: string]: unknown;
}

export interface Notification {
    notification_uuid: string;
    type: string;
    status: string;
    source_host_uuid: string;
    generated_time: string;
    created_at: string;
    updated_at: string | null;
    payload: Record<string, unknown>;
    [key: string]: unknown;
}

const S = "instance-ha";
const enc = encodeURIComponent;

export class MasakariClient {
    constructor(readonly session: OpenStackSession) {}

    async listSegments(): Promise<Segment[]> {
        return (await this.session.request<{ segments: Segment[] }>(S, "GET", "/segments")).body.segments;
    }

    async findSegment(name: string): Promise<Segment | undefined> {
        return (await this.listSegments()).find((s) => s.name === name);
    }

    async createSegment(s: { name: string; recovery_method: RecoveryMethod; service_type: string; description?: string }): Promise<Segment> {
        return (await this.session.request<{ segment: Segment }>(S, "POST", "/segments", { body: { segment: s }, okStatus: [200, 201] })).body.segment;
    }

    async updateSegment(id: string, s: Partial<Pick<Segment, "name" | "recovery_method" | "service_type" | "description">>): Promise<Segment> {
        return (await this.session.request<{ segment: Segment }>(S, "PUT", `/segments/${enc(id)}`, { body: { segment: s } })).body.segment;
    }

    /** false when it was already gone. */
    async deleteSegment(id: string): Promise<boolean> {
        return this.gone(() => this.session.request(S, "DELETE", `/segments/${enc(id)}`, { okStatus: [204] }));
    }

    async listHosts(segmentId: string): Promise<SegmentHost[]> {
        return (await this.session.request<{ hosts: SegmentHost[] }>(S, "GET", `/segments/${enc(segmentId)}/hosts`)).body.hosts;
    }

    /** Masakari checks that a nova-compute service of that name exists. */
    async createHost(segmentId: string, h: { name: string; type: string; control_attributes: string; reserved: boolean; on_maintenance: boolean }): Promise<SegmentHost> {
        return (await this.session.request<{ host: SegmentHost }>(S, "POST", `/segments/${enc(segmentId)}/hosts`, { body: { host: h }, okStatus: [200, 201] })).body.host;
    }

    async updateHost(segmentId: string, hostId: string, h: Partial<Pick<SegmentHost, "reserved" | "on_maintenance" | "control_attributes">>): Promise<SegmentHost> {
        return (await this.session.request<{ host: SegmentHost }>(S, "PUT", `/segments/${enc(segmentId)}/hosts/${enc(hostId)}`, { body: { host: h } })).body.host;
    }

    /**
     * updateHost, but while Masakari still processes a notification about the host (a recovery: it refuses
     * any change to the host with 409 "in-use to process notifications" until the notification is done)
     * it waits, bounded, and tries again.
     */
    async updateHostWhenIdle(
        segmentId: string,
        hostId: string,
        h: Partial<Pick<SegmentHost, "reserved" | "on_maintenance" | "control_attributes">>,
        o: { timeoutMs?: number; intervalMs?: number } = {},
    ): Promise<SegmentHost> {
        const timeoutMs = o.timeoutMs ?? 600_000;
        const intervalMs = o.intervalMs ?? 2000;
        // The refusal is the probe's value (any other error ends the wait at once).
        const attempt = () => this.updateHost(segmentId, hostId, h).catch((err: unknown) => (hostInUse(err) ? (err as Error) : Promise.reject(err)));
        const result = await waitFor(`Masakari to let host ${hostId} be changed`, attempt, (v) => !(v instanceof Error), {
            timeoutMs,
            intervalMs,
            maxIntervalMs: intervalMs,
            describe: (v) => (v as Error).message,
        }).catch((err: unknown) => {
            if (!(err instanceof WaitTimeoutError)) throw err;
            throw new Error(
                `${err.lastState}; still so after ${timeoutMs / 1000} s: Masakari has not finished its notification about this host ` +
                    `(see \`openstack notification list\`). Run pulumi up again once it has`,
            );
        });
        return result as SegmentHost;
    }

    async deleteHost(segmentId: string, hostId: string): Promise<boolean> {
        return this.gone(() => this.session.request(S, "DELETE", `/segments/${enc(segmentId)}/hosts/${enc(hostId)}`, { okStatus: [204] }));
    }

    /** Newest first. */
    async listNotifications(o: { sourceHostUuid?: string; type?: string } = {}): Promise<Notification[]> {
        const query: Record<string, string> = { sort_key: "created_at", sort_dir: "desc" };
        if (o.sourceHostUuid) query.source_host_uuid = o.sourceHostUuid;
        if (o.type) query.type = o.type;
        return (await this.session.request<{ notifications: Notification[] }>(S, "GET", "/notifications", { query })).body.notifications;
    }

    private async gone(call: () => Promise<unknown>): Promise<boolean> {
        try {
            await call();
            return true;
        } catch (err) {
            if (err instanceof NotFoundError) return false;
            throw err;
        }
    }
}

/** Masakari's 409 for a host whose notification it is still processing. */
function hostInUse(err: unknown): boolean {
    const e = err as { status?: number; message?: string };
    return e?.status === 409 && /in-use to process notifications/.test(e.message ?? "");
}
