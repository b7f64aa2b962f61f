// Glance's image API (v2): finding the image a server boots from.
import { NotFoundError, OpenStackError } from "./errors";
import { listAll } from "./pagination";
import type { OpenStackSession } from "./session";

export interface Image {
    id: string;
    name: string | null;
    /** queued, saving, active, killed, deleted … */
    status: string;
    disk_format?: string;
    size?: number | null;
    visibility?: string;
    [key: string]: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class GlanceClient {
    constructor(readonly session: OpenStackSession) {}

    /** An image by exact name (or id); undefined when none matches. Two images of one name is an error. */
    async findImage(nameOrId: string): Promise<Image | undefined> {
        const byName = await listAll<Image>(this.session, "image", "/v2/images", "images", { query: { name: nameOrId } });
        if (byName.length > 1) {
            throw new OpenStackError(`${byName.length} images are named "${nameOrId}" (ids ${byName.map((i) => i.id).join(", ")}); use the id`);
        }
        if (byName[0] || !UUID.test(nameOrId)) return byName[0];
        try {
            return (await this.session.request<Image>("image", "GET", `/v2/images/${nameOrId}`)).body;
        } catch (err) {
            if (err instanceof NotFoundError) return undefined;
            throw err;
        }
    }
}
