// Nova's compute API: each call states the microversion it is written against, chosen from what the
// cloud supports (discovered once from GET / of the compute endpoint).
import { NotFoundError, OpenStackError, UnsupportedError } from "./errors";
import { pickMicroversion, supports } from "./microversion";
import {
    createServerRequest,
    evacuateRequest,
    liveMigrateRequest,
    serviceUpdateRequest,
    type CreateServerOptions,
    type EvacuateOptions,
    type LiveMigrateOptions,
    type ServiceUpdate,
} from "./novaBodies";
import type { ComputeService, Flavor, Hypervisor, Migration, Server, ServerMigration } from "./novaTypes";
import { listAll } from "./pagination";
import type { OpenStackSession } from "./session";

export interface ListServersOptions {
    /** Only servers on this compute host (admin). */
    host?: string;
    /** Only servers with exactly this name. */
    name?: string;
    /** Servers of every project (admin). */
    allTenants?: boolean;
    /** ISO 8601 time: only servers changed since (deleted ones included, as status DELETED). */
    changesSince?: string;
}

export interface ListMigrationsOptions {
    instanceUuid?: string;
    /** live-migration, evacuation, migration, resize. */
    migrationType?: string;
    /** Source or destination compute host. */
    host?: string;
    /** Only the migrations off this host. */
    sourceCompute?: string;
    /** Only records with this status (e.g. `done`). */
    status?: string;
    /** ISO 8601 time; only migrations updated since (2.59+; ignored by older clouds, filtered here instead). */
    changesSince?: string;
}

/** Escapes a literal for Nova's name filter, which is a regular expression matched by the database. */
function exactNameRegex(name: string): string {
    return `^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
}

/** A compute endpoint may carry the project id (`/v2.1/<id>`); version discovery wants the bare `/v2.1/`. */
function versionDocUrl(endpoint: string): string {
    return `${endpoint.replace(/\/+$/, "").replace(/\/(?:[0-9a-f]{32}|[0-9a-f-]{36})$/, "")}/`;
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
    try {
        return await p;
    } catch (err) {
        if (err instanceof NotFoundError) return undefined;
        throw err;
    }
}

export class NovaClient {
    private max?: Promise<string>;

    constructor(readonly session: OpenStackSession) {}

    /** The newest microversion this cloud's Nova supports (asked once, then cached; a failure is not cached). */
    maxMicroversion(): Promise<string> {
        let max = this.max;
        if (!max) {
            max = this.discoverMax().catch((err) => {
                this.max = undefined;
                throw err;
            });
            this.max = max;
        }
        return max;
    }

    private async discoverMax(): Promise<string> {
        const url = versionDocUrl(await this.session.endpoint("compute"));
        const { body } = await this.session.request<{ version?: { version?: string }; versions?: { status?: string; version?: string }[] }>(
            "compute",
            "GET",
            url,
        );
        // An empty "version" means a Nova without microversions: plain 2.1.
        return body?.version?.version || body?.versions?.find((v) => v.status === "CURRENT")?.version || "2.1";
    }

    private async pick(preferred: string[]): Promise<string | undefined> {
        return pickMicroversion(await this.maxMicroversion(), preferred);
    }

    private async requireVersion(version: string, what: string): Promise<void> {
        const max = await this.maxMicroversion();
        if (!supports(max, version)) {
            throw new UnsupportedError(`${what} needs compute microversion ${version}; this cloud's Nova supports up to ${max}`);
        }
    }

    private async action(serverId: string, body: unknown, okStatus: number[], microversion?: string): Promise<unknown> {
        const r = await this.session.request("compute", "POST", `/servers/${encodeURIComponent(serverId)}/action`, { body, okStatus, microversion });
        return r.body;
    }

    /** The server with admin fields (OS-EXT-SRV-ATTR:host …) when the credentials are admin; undefined on 404. */
    async getServer(id: string): Promise<Server | undefined> {
        const microversion = await this.pick(["2.47"]);
        const r = await orUndefined(this.session.request<{ server: Server }>("compute", "GET", `/servers/${encodeURIComponent(id)}`, { microversion }));
        return r?.body.server;
    }

    async listServers(o: ListServersOptions = {}): Promise<Server[]> {
        const servers = await listAll<Server>(this.session, "compute", "/servers/detail", "servers", {
            microversion: await this.pick(["2.47"]),
            query: {
                host: o.host,
                name: o.name === undefined ? undefined : exactNameRegex(o.name),
                all_tenants: o.allTenants ? 1 : undefined,
                "changes-since": o.changesSince,
            },
        });
        return o.name === undefined ? servers : servers.filter((s) => s.name === o.name);
    }

    /** Starts a boot; returns at once (wait with waitForServerStatus). */
    async createServer(o: CreateServerOptions): Promise<{ id: string }> {
        const req = createServerRequest(await this.maxMicroversion(), o);
        const r = await this.session.request<{ server: { id: string } }>("compute", "POST", "/servers", {
            body: req.body,
            microversion: req.microversion,
            okStatus: [202],
        });
        // Only the id: the response may carry adminPass, which has no business travelling further.
        return { id: r.body.server.id };
    }

    /** Starts the deletion; false when the server was already gone. */
    async deleteServer(id: string): Promise<boolean> {
        const r = await orUndefined(this.session.request("compute", "DELETE", `/servers/${encodeURIComponent(id)}`, { okStatus: [204] }));
        return r !== undefined;
    }

    /** Starts a live migration (202); see liveMigrateAndWait for the whole move. */
    async liveMigrate(id: string, o: LiveMigrateOptions = {}): Promise<void> {
        const req = liveMigrateRequest(await this.maxMicroversion(), o);
        await this.action(id, req.body, [202], req.microversion);
    }

    /** Starts an evacuation off a failed host (the source compute service must be down). */
    async evacuate(id: string, o: EvacuateOptions = {}): Promise<void> {
        const req = evacuateRequest(await this.maxMicroversion(), o);
        await this.action(id, req.body, [200, 202], req.microversion);
    }

    /** /os-migrations, newest first as Nova sorts them. */
    async listMigrations(o: ListMigrationsOptions = {}): Promise<Migration[]> {
        const microversion = await this.pick(["2.80", "2.59", "2.23"]);
        const paged = microversion !== undefined && microversion !== "2.23";
        const all = await listAll<Migration>(this.session, "compute", "/os-migrations", "migrations", {
            microversion,
            query: {
                instance_uuid: o.instanceUuid,
                migration_type: o.migrationType,
                host: o.host,
                source_compute: o.sourceCompute,
                status: o.status,
                "changes-since": paged ? o.changesSince : undefined,
            },
        });
        const since = o.changesSince && !paged ? Date.parse(o.changesSince) : undefined;
        return all.filter(
            (m) =>
                (o.migrationType === undefined || m.migration_type === undefined || m.migration_type === o.migrationType) &&
                (o.sourceCompute === undefined || m.source_compute === o.sourceCompute) &&
                (o.status === undefined || m.status === o.status) &&
                (since === undefined || Date.parse(`${m.updated_at ?? m.created_at}Z`) >= since),
        );
    }

    /** The server's in-progress live migrations (2.23+). */
    async listServerMigrations(serverId: string): Promise<ServerMigration[]> {
        await this.requireVersion("2.23", "listing a server's migrations");
        const microversion = await this.pick(["2.80", "2.59", "2.23"]);
        const r = await this.session.request<{ migrations: ServerMigration[] }>("compute", "GET", `/servers/${encodeURIComponent(serverId)}/migrations`, {
            microversion,
        });
        return r.body.migrations ?? [];
    }

    /** Pauses the guest so the memory copy can finish (2.22; only while the migration is `running`). */
    async forceCompleteMigration(serverId: string, migrationId: number): Promise<void> {
        await this.requireVersion("2.22", "force-completing a live migration");
        await this.session.request("compute", "POST", `/servers/${encodeURIComponent(serverId)}/migrations/${migrationId}/action`, {
            body: { force_complete: null },
            microversion: "2.22",
            okStatus: [202],
        });
    }

    /** Cancels a live migration (2.24 while running; 2.65 also while queued/preparing). */
    async abortMigration(serverId: string, migrationId: number): Promise<void> {
        await this.requireVersion("2.24", "aborting a live migration");
        await this.session.request("compute", "DELETE", `/servers/${encodeURIComponent(serverId)}/migrations/${migrationId}`, {
            microversion: await this.pick(["2.65", "2.24"]),
            okStatus: [202],
        });
    }

    /** nova-compute services (2.53: ids are UUIDs, forced_down shown). */
    async listComputeServices(o: { host?: string } = {}): Promise<ComputeService[]> {
        const r = await this.session.request<{ services: ComputeService[] }>("compute", "GET", "/os-services", {
            microversion: await this.pick(["2.53", "2.11"]),
            query: { binary: "nova-compute", host: o.host },
        });
        return r.body.services ?? [];
    }

    async updateComputeService(serviceId: string, u: ServiceUpdate): Promise<ComputeService> {
        const req = serviceUpdateRequest(await this.maxMicroversion(), u);
        const r = await this.session.request<{ service: ComputeService }>("compute", "PUT", `/os-services/${encodeURIComponent(serviceId)}`, {
            body: req.body,
            microversion: req.microversion,
            okStatus: [200],
        });
        return r.body.service;
    }

    /** Hypervisors (from 2.53 their id is the compute node's UUID); `hostnamePattern` matches a substring of the name. */
    async listHypervisors(o: { hostnamePattern?: string } = {}): Promise<Hypervisor[]> {
        return listAll<Hypervisor>(this.session, "compute", "/os-hypervisors/detail", "hypervisors", {
            microversion: await this.pick(["2.53"]),
            query: { hypervisor_hostname_pattern: o.hostnamePattern },
        });
    }

    /** The guest's console log; the last `length` lines when given. */
    async getConsoleOutput(id: string, length?: number): Promise<string> {
        const body = (await this.action(id, { "os-getConsoleOutput": length === undefined ? {} : { length } }, [200])) as { output?: string };
        return body?.output ?? "";
    }

    async rebootServer(id: string, type: "SOFT" | "HARD"): Promise<void> {
        await this.action(id, { reboot: { type } }, [202]);
    }

    /** Powers the server off (os-stop) or on (os-start); the caller waits for SHUTOFF or ACTIVE. */
    async powerServer(id: string, on: boolean): Promise<void> {
        await this.action(id, { [on ? "os-start" : "os-stop"]: null }, [202]);
    }

    /** A flavor by exact name (or id); undefined when none matches. Two flavors of one name is an error. */
    async findFlavor(nameOrId: string): Promise<Flavor | undefined> {
        // is_public=None lists public and private flavors alike for admins (Nova's own spelling).
        const all = await listAll<Flavor>(this.session, "compute", "/flavors/detail", "flavors", { query: { is_public: "None" } });
        const byName = all.filter((f) => f.name === nameOrId);
        if (byName.length > 1) {
            throw new OpenStackError(`${byName.length} flavors are named "${nameOrId}" (ids ${byName.map((f) => f.id).join(", ")}); use the id`);
        }
        return byName[0] ?? all.find((f) => f.id === nameOrId);
    }
}
