// liveMigrateAndWait / evacuateAndWait against a scripted Nova on 127.0.0.1: the outcomes the lab's fake
// driver cannot produce on demand (rollback to the source, rejection, a server deleted mid-move), and the
// timeout actions. The real behaviour is covered by test/lab/openstack-client.test.ts.
import { createServer, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
    evacuateAndWait,
    liveMigrateAndWait,
    MigrationFailedError,
    NovaClient,
    OpenStackSession,
    ResourceGoneError,
    waitForServerStatus,
    WaitTimeoutError,
    type Migration,
} from "../../lib/openstack";
import { endMaintenance } from "../../lib/moves/drain";
import { evacuateHost, recoverHost } from "../../lib/moves/evacuate";
import { evacuateMany } from "../../lib/moves/evacuateMany";

interface FakeServer {
    id: string;
    status: string;
    host: string;
    task: string | null;
    fault?: { message: string };
}

let http: HttpServer;
let base = "";
let servers: Map<string, FakeServer>;
let migrations: Migration[];
let posts: string[];
/** Paths of every GET, to count what polling costs. */
let gets: string[];
/** Servers the list leaves out (as a list filtered by another clock would). */
let unlisted: Set<string>;
/** What /os-services reports for each host. */
let services: Record<string, { state: string; status: string; forced_down: boolean; disabled_reason: string | null }>;
/** Every service update, as "host body". */
let serviceUpdates: string[];
let nextId = 1;
/** What the fake Nova does when asked to move/abort/force; each test scripts it. */
let onMigrate: (s: FakeServer, body: Record<string, unknown>) => { status: number; body?: unknown } | void;
let onAbort: (s: FakeServer, m: Migration) => void;
let onForce: (s: FakeServer, m: Migration) => void;

function json(res: ServerResponse, status: number, body?: unknown): void {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(body === undefined ? "" : JSON.stringify(body));
}

function view(s: FakeServer): unknown {
    return { id: s.id, name: s.id, status: s.status, "OS-EXT-SRV-ATTR:host": s.host, "OS-EXT-STS:task_state": s.task, fault: s.fault };
}

function record(s: FakeServer, type: string, status: string, dest: string | null): Migration {
    const m: Migration = {
        id: nextId++,
        instance_uuid: s.id,
        status,
        migration_type: type,
        source_compute: s.host,
        dest_compute: dest,
        created_at: new Date().toISOString().slice(0, 19),
        updated_at: null,
    };
    migrations.unshift(m);
    return m;
}

const later = (ms: number, f: () => void) => void setTimeout(f, ms);

beforeAll(async () => {
    http = createServer((req, res) => {
        let raw = "";
        req.on("data", (c) => (raw += c));
        req.on("end", () => {
            const url = new URL(req.url!, "http://x");
            const p = url.pathname;
            const body = raw ? JSON.parse(raw) : {};
            if (p === "/v3/auth/tokens") {
                res.writeHead(201, { "Content-Type": "application/json", "X-Subject-Token": "t" });
                return res.end(JSON.stringify({ token: { catalog: [{ type: "compute", endpoints: [{ interface: "public", url: `${base}/v2.1` }] }] } }));
            }
            if (p === "/v2.1/") return json(res, 200, { version: { version: "2.93" } });
            const put = /^\/v2\.1\/os-services\/id-(.+)$/.exec(p);
            if (put && req.method === "PUT") {
                // Nova's own check: no unforce while an evacuation off the host is still `done`.
                const host = put[1]!;
                serviceUpdates.push(`${host} ${JSON.stringify(body)}`);
                const done = migrations.some((m) => m.source_compute === host && m.migration_type === "evacuation" && m.status === "done");
                if (body.forced_down === false && done) return json(res, 400, { badRequest: { code: 400, message: `Unable to force up host ${host}` } });
                if (body.forced_down !== undefined) services[host]!.forced_down = body.forced_down;
                if (body.status) services[host]!.status = body.status;
                return json(res, 200, { service: { id: `id-${host}`, host, binary: "nova-compute", ...services[host] } });
            }
            if (p === "/v2.1/os-services") {
                const host = url.searchParams.get("host")!;
                const svc = services[host];
                return json(res, 200, { services: svc ? [{ id: `id-${host}`, host, binary: "nova-compute", ...svc }] : [] });
            }
            if (req.method === "GET") gets.push(p);
            if (p === "/v2.1/os-migrations") {
                const q = url.searchParams;
                const host = q.get("host");
                return json(res, 200, {
                    migrations: migrations.filter(
                        (m) =>
                            (!q.get("instance_uuid") || m.instance_uuid === q.get("instance_uuid")) &&
                            (!host || m.source_compute === host || m.dest_compute === host) &&
                            (!q.get("source_compute") || m.source_compute === q.get("source_compute")) &&
                            (!q.get("status") || m.status === q.get("status")) &&
                            (!q.get("migration_type") || m.migration_type === q.get("migration_type")),
                    ),
                });
            }
            if (p === "/v2.1/servers/detail") return json(res, 200, { servers: [...servers.values()].filter((x) => !unlisted.has(x.id)).map(view) });
            let m = /^\/v2\.1\/servers\/([^/]+)(\/.*)?$/.exec(p);
            const s = m ? servers.get(m[1]!) : undefined;
            if (!m || !s) return json(res, 404, { itemNotFound: { code: 404, message: "Instance could not be found." } });
            if (req.method === "GET" && !m[2]) return json(res, 200, { server: view(s) });
            if (req.method === "POST" && m[2] === "/action") {
                posts.push(Object.keys(body)[0]!);
                const r = onMigrate(s, body);
                return json(res, r?.status ?? (body.evacuate ? 200 : 202), r?.body);
            }
            m = /^\/migrations\/(\d+)(\/action)?$/.exec(m[2] ?? "");
            const mig = m ? migrations.find((x) => x.id === Number(m![1])) : undefined;
            if (!mig) return json(res, 404, { itemNotFound: { code: 404, message: "no migration" } });
            if (req.method === "DELETE") onAbort(s, mig);
            else onForce(s, mig);
            return json(res, 202);
        });
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => http.close(() => r())));

let nova: NovaClient;
beforeEach(() => {
    servers = new Map([["srv", { id: "srv", status: "ACTIVE", host: "c1", task: null }]]);
    migrations = [];
    posts = [];
    gets = [];
    serviceUpdates = [];
    unlisted = new Set();
    nextId = 1;
    const healthy = { state: "up", status: "enabled", forced_down: false, disabled_reason: null };
    services = { c1: healthy, c2: healthy, c3: { ...healthy, state: "down", forced_down: true } };
    onMigrate = () => undefined;
    onAbort = () => undefined;
    onForce = () => undefined;
    nova = new NovaClient(
        new OpenStackSession({
            name: "fake",
            source: "test",
            authType: "password",
            interface: "public",
            auth: { authUrl: base, userId: "u", password: "p", projectId: "p" },
        }),
    );
});

const quick = { intervalMs: 30, maxIntervalMs: 60 };

/** The usual start of a live migration: a running record, the server MIGRATING. */
function startLive(s: FakeServer, body: Record<string, unknown>): Migration {
    const dest = ((body["os-migrateLive"] as { host: string | null }).host ?? "c3") as string;
    s.status = "MIGRATING";
    s.task = "migrating";
    return record(s, "live-migration", "running", dest);
}

function finish(s: FakeServer, m: Migration): void {
    m.status = "completed";
    s.host = m.dest_compute!;
    s.status = "ACTIVE";
    s.task = null;
}

function rollBack(s: FakeServer, m: Migration, status: string): void {
    m.status = status;
    s.status = "ACTIVE";
    s.task = null;
}

describe("liveMigrateAndWait", () => {
    it("is done when the record is completed and the host changed", async () => {
        migrations.push({ id: 99, instance_uuid: "srv", status: "completed", migration_type: "live-migration", source_compute: "c0", dest_compute: "c1", created_at: "", updated_at: null });
        nextId = 100;
        onMigrate = (s, b) => {
            const m = startLive(s, b);
            later(200, () => finish(s, m));
        };
        const r = await liveMigrateAndWait(nova, "srv", { host: "c2", timeoutMs: 5000, onTimeout: "abort", ...quick });
        expect(r).toMatchObject({ migrationId: 100, source: "c1", destination: "c2" });
        expect(r.durationMs).toBeGreaterThanOrEqual(190);
    });

    it("uses the scheduler's choice when host is null, and reports it", async () => {
        onMigrate = (s, b) => {
            expect(b).toEqual({ "os-migrateLive": { host: null, block_migration: "auto" } });
            const m = startLive(s, b);
            later(100, () => finish(s, m));
        };
        expect(await liveMigrateAndWait(nova, "srv", { host: null, timeoutMs: 5000, onTimeout: "none", ...quick })).toMatchObject({ destination: "c3" });
    });

    it("does nothing when the server is already on the requested host", async () => {
        expect(await liveMigrateAndWait(nova, "srv", { host: "c1", timeoutMs: 1000, onTimeout: "abort" })).toEqual({
            migrationId: 0,
            source: "c1",
            destination: "c1",
            durationMs: 0,
        });
        expect(posts).toEqual([]);
    });

    it("a rollback (ACTIVE again, but on the source) is a MigrationFailedError saying where the server is", async () => {
        onMigrate = (s, b) => {
            const m = startLive(s, b);
            later(150, () => {
                // Nova marks the record first and finishes the rollback a little later.
                m.status = "error";
                later(200, () => rollBack(s, m, "error"));
            });
        };
        const err = await liveMigrateAndWait(nova, "srv", { host: "c2", timeoutMs: 5000, onTimeout: "abort", ...quick }).catch((e) => e);
        expect(err).toBeInstanceOf(MigrationFailedError);
        expect(err).toMatchObject({ migrationId: 1, status: "error", source: "c1", destination: "c2", serverHost: "c1", serverStatus: "ACTIVE" });
        expect(err.message).toBe("live-migration 1 of server srv from c1 to c2 ended with status error; the server is ACTIVE on c1");
    });

    it("a refusal by the API names Nova's reason, the target's service state, and where the server still is", async () => {
        onMigrate = (s) => {
            record(s, "live-migration", "error", "c3");
            return { status: 400, body: { badRequest: { code: 400, message: "No valid host was found. There are not enough hosts available." } } };
        };
        const err = await liveMigrateAndWait(nova, "srv", { host: "c3", timeoutMs: 5000, onTimeout: "abort", ...quick }).catch((e) => e);
        expect(err).toBeInstanceOf(MigrationFailedError);
        expect(err.message).toBe(
            "live-migration 1 of server srv from c1 to c3 was rejected by Nova: No valid host was found. There are not enough hosts available. " +
                "(nova-compute on c3 is down (forced down)); the server is ACTIVE on c1",
        );
        expect(err.cause?.status).toBe(400);

        services.c2 = { state: "up", status: "disabled", forced_down: false, disabled_reason: "maintenance" };
        const err2 = await liveMigrateAndWait(nova, "srv", { host: "c2", timeoutMs: 5000, onTimeout: "abort", ...quick }).catch((e) => e);
        expect(err2.reason).toBe("No valid host was found. There are not enough hosts available. (nova-compute on c2 is disabled (maintenance))");
        const err3 = await liveMigrateAndWait(nova, "srv", { host: "c9", timeoutMs: 5000, onTimeout: "abort", ...quick }).catch((e) => e);
        expect(err3.reason).toMatch(/\(c9 has no nova-compute service\)$/);
    });

    it("a server deleted mid-migration is a ResourceGoneError", async () => {
        onMigrate = (s, b) => {
            const m = startLive(s, b);
            later(100, () => {
                m.status = "error";
                servers.delete("srv");
            });
        };
        const err = await liveMigrateAndWait(nova, "srv", { host: "c2", timeoutMs: 5000, onTimeout: "none", ...quick }).catch((e) => e);
        expect(err).toBeInstanceOf(ResourceGoneError);
        expect(err.message).toBe("server srv no longer exists (it went away while live-migrating)");
    });

    it("on timeout with abort: aborts, waits for the outcome, reports where the server is", async () => {
        onMigrate = (s, b) => void startLive(s, b);
        onAbort = (s, m) => later(100, () => rollBack(s, m, "cancelled"));
        const err = await liveMigrateAndWait(nova, "srv", { host: "c2", timeoutMs: 300, onTimeout: "abort", ...quick }).catch((e) => e);
        expect(err).toBeInstanceOf(WaitTimeoutError);
        expect(err.message).toBe(
            "Timed out after 300 ms waiting for live migration of server srv from c1 to c2; last observed: migration 1 running. " +
                "Aborted migration 1: it ended cancelled, the server is ACTIVE on c1",
        );
    });

    it("on timeout with force-complete: forces it and returns the finished move", async () => {
        onMigrate = (s, b) => void startLive(s, b);
        onForce = (s, m) => later(100, () => finish(s, m));
        const r = await liveMigrateAndWait(nova, "srv", { host: "c2", timeoutMs: 300, onTimeout: "force-complete", ...quick });
        expect(r).toMatchObject({ migrationId: 1, destination: "c2", forceCompleted: true });
    });

    it("force-complete waits until a still-preparing migration is running (Nova refuses it before)", async () => {
        let forcedWhile = "";
        onMigrate = (s, b) => {
            const m = startLive(s, b);
            m.status = "preparing";
            later(500, () => (m.status = "running"));
        };
        onForce = (s, m) => {
            forcedWhile = m.status;
            later(50, () => finish(s, m));
        };
        const r = await liveMigrateAndWait(nova, "srv", { host: "c2", timeoutMs: 200, onTimeout: "force-complete", ...quick });
        expect(forcedWhile).toBe("running");
        expect(r).toMatchObject({ destination: "c2", forceCompleted: true });
    });

    it("on timeout with none: leaves the migration alone and says so", async () => {
        onMigrate = (s, b) => void startLive(s, b);
        const err = await liveMigrateAndWait(nova, "srv", { host: "c2", timeoutMs: 200, onTimeout: "none", ...quick }).catch((e) => e);
        expect(err).toBeInstanceOf(WaitTimeoutError);
        expect(err.message).toMatch(/last observed: migration 1 running\. The migration continues; Nova finishes or rolls it back on its own$/);
    });

    it("costs one GET per poll while the migration runs", async () => {
        onMigrate = (s, b) => {
            const m = startLive(s, b);
            later(400, () => finish(s, m));
        };
        const before = nova.session.stats.requests;
        await liveMigrateAndWait(nova, "srv", { host: "c2", timeoutMs: 5000, onTimeout: "none", intervalMs: 100, maxIntervalMs: 100 });
        const used = nova.session.stats.requests - before;
        // GET server, list before, (GET / once), POST, ~4–8 polls, one GET server at the end.
        expect(used).toBeGreaterThanOrEqual(7);
        expect(used).toBeLessThanOrEqual(14);
    });
});

describe("evacuateAndWait", () => {
    it("is done when the record is done and the server is ACTIVE on another host", async () => {
        onMigrate = (s) => {
            const m = record(s, "evacuation", "accepted", null);
            s.status = "REBUILD";
            s.task = "rebuilding";
            later(150, () => {
                m.status = "done";
                m.dest_compute = "c2";
                s.host = "c2";
                s.status = "ACTIVE";
                s.task = null;
            });
        };
        expect(await evacuateAndWait(nova, "srv", { timeoutMs: 5000, ...quick })).toMatchObject({ migrationId: 1, source: "c1", destination: "c2" });
        expect(posts).toEqual(["evacuate"]);
    });

    it("a rebuild that fails reports the server's fault", async () => {
        onMigrate = (s) => {
            const m = record(s, "evacuation", "accepted", "c2");
            later(100, () => {
                m.status = "failed";
                s.status = "ERROR";
                s.task = null;
                s.fault = { message: "ConflictNovaUsingAttachment" };
            });
        };
        const err = await evacuateAndWait(nova, "srv", { host: "c2", timeoutMs: 5000, ...quick }).catch((e) => e);
        expect(err).toBeInstanceOf(MigrationFailedError);
        expect(err.message).toBe("evacuation 1 of server srv from c1 to c2 ended with status failed: ConflictNovaUsingAttachment; the server is ERROR on c1");
    });
});

describe("waitForServerStatus", () => {
    it("fails early on ERROR with the fault, and notices a server that went away", async () => {
        servers.get("srv")!.status = "ERROR";
        servers.get("srv")!.fault = { message: "No valid host was found." };
        await expect(waitForServerStatus(nova, "srv", { status: "ACTIVE", timeoutMs: 5000 })).rejects.toThrow(
            "Gave up waiting for server srv to become ACTIVE: it is ERROR on c1: No valid host was found.",
        );
        await expect(waitForServerStatus(nova, "nope", { status: "ACTIVE", timeoutMs: 5000 })).rejects.toBeInstanceOf(ResourceGoneError);
    });
});

describe("evacuateMany", () => {
    /** n servers on c1; each evacuation is rebuilt on c2 after `ms` (or per server, see `script`). */
    function fleet(n: number): { names: string[]; running: () => number; most: () => number } {
        servers = new Map(Array.from({ length: n }, (_, i) => [`s${i}`, { id: `s${i}`, status: "ACTIVE", host: "c1", task: null } as FakeServer]));
        let running = 0;
        let most = 0;
        onMigrate = (srv) => {
            const m = record(srv, "evacuation", "accepted", null);
            srv.status = "REBUILD";
            srv.task = "rebuilding";
            most = Math.max(most, ++running);
            later(80 + 40 * Number(srv.id.slice(1)), () => {
                running--;
                m.status = "done";
                m.dest_compute = "c2";
                srv.host = "c2";
                srv.status = "ACTIVE";
                srv.task = null;
            });
        };
        return { names: [...servers.keys()], running: () => running, most: () => most };
    }
    const list = () => [...servers.values()].map((x) => view(x) as import("../../lib/openstack").Server);

    it("evacuates every server, at most `concurrency` at once, with one shared poll of two requests a round", async () => {
        const f = fleet(6);
        const progress: string[] = [];
        const out = await evacuateMany(nova, "c1", list(), {
            concurrency: 4,
            timeoutMs: 5000,
            ...quick,
            onProgress: (p) => progress.push(`${p.done}/${p.total} ${p.running} ${p.queued}`),
        });
        expect(out.map((x) => [x.server.id, x.result?.destination, x.error])).toEqual(f.names.map((n) => [n, "c2", undefined]));
        expect(out.map((x) => x.result!.migrationId).sort()).toEqual([1, 2, 3, 4, 5, 6]);
        expect(f.most()).toBe(4);
        expect(posts).toEqual(Array(6).fill("evacuate"));
        // No GET per server: the records (one list before, one per round) and the servers (one list per round).
        const rounds = gets.filter((p) => p === "/v2.1/servers/detail").length;
        expect(gets.filter((p) => p === "/v2.1/os-migrations").length).toBe(rounds + 1);
        expect(gets.filter((p) => p.startsWith("/v2.1/servers/") && p !== "/v2.1/servers/detail")).toEqual([]);
        expect(progress[0]).toBe("0/6 4 2");
        expect(progress.at(-1)).toBe("6/6 0 0");
    });

    it("reads a server the list left out on its own, and reports a refusal, a failed rebuild and a timeout without stopping the rest", async () => {
        fleet(4);
        unlisted.add("s0");
        const rebuild = onMigrate;
        onMigrate = (srv, body) => {
            if (srv.id === "s1") return { status: 400, body: { badRequest: { code: 400, message: "Compute service of c1 is still in use." } } };
            if (srv.id === "s2") {
                const m = record(srv, "evacuation", "accepted", "c2");
                later(60, () => {
                    m.status = "failed";
                    srv.status = "ERROR";
                    srv.fault = { message: "No valid host was found." };
                });
                return;
            }
            if (srv.id === "s3") return void record(srv, "evacuation", "accepted", null); // never finishes
            return rebuild(srv, body);
        };
        const out = await evacuateMany(nova, "c1", list(), { concurrency: 4, timeoutMs: 600, ...quick });
        expect(out[0]!.result).toMatchObject({ source: "c1", destination: "c2" });
        expect(gets).toContain("/v2.1/servers/s0");
        expect(out[1]!.error?.message).toBe(
            "evacuation (no migration record) of server s1 from c1 to a scheduler-chosen host was rejected by Nova: Compute service of c1 is still in use.; the server is ACTIVE on c1",
        );
        expect(out[2]!.error?.message).toBe("evacuation 2 of server s2 from c1 to c2 ended with status failed: No valid host was found.; the server is ERROR on c1");
        expect(out[3]!.error).toBeInstanceOf(WaitTimeoutError);
        expect(out[3]!.error?.message).toMatch(/^Timed out after .* waiting for evacuation of server s3 off c1 to a scheduler-chosen host; last observed: migration 3 accepted, server ACTIVE on c1$/);
    });
});

describe("evacuateHost", () => {
    it("hard-reboots only the servers that came back stopped: a rebuilt ACTIVE one has just booted", async () => {
        services.c1 = { state: "down", status: "enabled", forced_down: true, disabled_reason: null };
        servers = new Map([
            ["up", { id: "up", status: "ACTIVE", host: "c1", task: null }],
            ["off", { id: "off", status: "SHUTOFF", host: "c1", task: null }],
        ]);
        const actions: string[] = [];
        onMigrate = (srv, body) => {
            actions.push(`${Object.keys(body)[0]} ${srv.id}`);
            if (body.reboot) return void (srv.status = "ACTIVE");
            const m = record(srv, "evacuation", "accepted", null);
            const keep = srv.status; // evacuation keeps the power state
            srv.status = "REBUILD";
            srv.task = "rebuilding";
            later(60, () => Object.assign(m, { status: "done", dest_compute: "c2" }) && Object.assign(srv, { host: "c2", status: keep, task: null }));
        };
        const r = await evacuateHost(nova, { host: "c1", fenced: true, reboot: true, concurrency: 2, timeoutSeconds: 5 });
        expect(r.failures).toEqual([]);
        expect(r.evacuated.map((e) => [e.serverId, e.destination])).toEqual([["up", "c2"], ["off", "c2"]]);
        expect(actions.sort()).toEqual(["evacuate off", "evacuate up", "reboot off"]);
        expect([...servers.values()].map((x) => x.status)).toEqual(["ACTIVE", "ACTIVE"]);
    });
});

describe("bringing a fenced host back", () => {
    /** c3 fenced (forced down, disabled by the recovery) with one evacuation off it still `done`. */
    function returningHost(): Migration {
        services.c3 = { state: "up", status: "disabled", forced_down: true, disabled_reason: "maintenance" };
        const m = record({ id: "srv", status: "ACTIVE", host: "c3", task: null }, "evacuation", "done", "c1");
        record({ id: "other", status: "ACTIVE", host: "c2", task: null }, "evacuation", "done", "c1"); // another host's
        return m;
    }

    it("unforces once, only after the host's evacuations are completed (maintenance: false)", async () => {
        const m = returningHost();
        later(1500, () => (m.status = "completed"));
        await endMaintenance(nova, "c3", "maintenance");
        expect(serviceUpdates).toEqual(['c3 {"forced_down":false}', 'c3 {"status":"enabled"}']);
        expect(services.c3).toMatchObject({ forced_down: false, status: "enabled" });
    });

    it("recoverHost gives up at its timeout without asking Nova, naming the record still done", async () => {
        const m = returningHost();
        await expect(recoverHost(nova, "c3", 2)).rejects.toThrow(
            new RegExp(`c3 is still forced down: .*evacuation records still done: ${m.id} \\(server srv\\).*Start nova-compute on c3`),
        );
        expect(serviceUpdates).toEqual([]);
        m.status = "completed";
        await recoverHost(nova, "c3", 2);
        expect(serviceUpdates).toEqual(['c3 {"forced_down":false}']);
    });
});
