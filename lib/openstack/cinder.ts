// Cinder's volume API (v3): what boot-from-volume setups and their clean-up need.
import { NotFoundError } from "./errors";
import type { OpenStackSession } from "./session";

export interface Volume {
    id: string;
    name: string | null;
    /** creating, available, in-use, error, deleting, error_deleting … */
    status: string;
    size: number;
    /** "true"/"false" as strings: that is how Cinder reports it. */
    bootable: string;
    attachments: { server_id: string; host_name?: string | null; device?: string }[];
    [key: string]: unknown;
}

export interface CreateVolumeOptions {
    name: string;
    /** GiB. */
    size: number;
    /** Image to copy into the volume. */
    imageRef?: string;
}

export class CinderClient {
    constructor(readonly session: OpenStackSession) {}

    /** Starts the creation (202); the volume is `creating` until the backend has it. */
    async createVolume(o: CreateVolumeOptions): Promise<Volume> {
        const volume: Record<string, unknown> = { name: o.name, size: o.size };
        if (o.imageRef) volume.imageRef = o.imageRef;
        const r = await this.session.request<{ volume: Volume }>("block-storage", "POST", "/volumes", { body: { volume }, okStatus: [202] });
        return r.body.volume;
    }

    /** undefined on 404. */
    async getVolume(id: string): Promise<Volume | undefined> {
        try {
            const r = await this.session.request<{ volume: Volume }>("block-storage", "GET", `/volumes/${encodeURIComponent(id)}`);
            return r.body.volume;
        } catch (err) {
            if (err instanceof NotFoundError) return undefined;
            throw err;
        }
    }

    async setBootable(id: string, bootable: boolean): Promise<void> {
        await this.session.request("block-storage", "POST", `/volumes/${encodeURIComponent(id)}/action`, {
            body: { "os-set_bootable": { bootable } },
            okStatus: [200],
        });
    }

    /** Starts the deletion; false when the volume was already gone. */
    async deleteVolume(id: string): Promise<boolean> {
        try {
            await this.session.request("block-storage", "DELETE", `/volumes/${encodeURIComponent(id)}`, { okStatus: [202] });
            return true;
        } catch (err) {
            if (err instanceof NotFoundError) return false;
            throw err;
        }
    }
}
