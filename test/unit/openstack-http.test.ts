// The session against a real HTTP server on 127.0.0.1 playing Keystone and Nova: token reuse, one
// re-authentication on 401, 429/503 backoff with Retry-After, error messages, pagination. No fetch mocks.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
    AuthenticationError,
    NotFoundError,
    MasakariClient,
    NovaClient,
    OpenStackConnectionError,
    OpenStackHttpError,
    OpenStackSession,
    parseRetryAfter,
    type CloudConfig,
} from "../../lib/openstack";
import { serviceMessageOf } from "../../lib/openstack/responseInfo";

const PASSWORD = "pw-SHOULD-NEVER-LEAK";

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

interface Seen {
    method: string;
    path: string;
    headers: IncomingMessage["headers"];
}

let http: HttpServer;
let base = "";
let seen: Seen[] = [];
let routes: Record<string, Handler> = {};
let issued = 0;
/** Tokens the fake Nova accepts; clearing it simulates revocation. */
let valid = new Set<string>();

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(body === undefined ? "" : JSON.stringify(body));
}

function keystone(body: string, res: ServerResponse): void {
    const auth = JSON.parse(body).auth;
    if (auth.identity.password?.user?.password !== PASSWORD) {
        return json(res, 401, { error: { code: 401, title: "Unauthorized", message: "The request you have made requires authentication." } });
    }
    const token = `tok-${++issued}`;
    valid.add(token);
    const now = Date.now();
    res.writeHead(201, { "Content-Type": "application/json", "X-Subject-Token": token });
    res.end(
        JSON.stringify({
            token: {
                issued_at: new Date(now).toISOString(),
                expires_at: new Date(now + 3_600_000).toISOString(),
                project: { id: "p1" },
                catalog: [
                    { type: "compute", endpoints: [{ interface: "public", region_id: "R1", url: `${base}/compute/v2.1` }] },
                    { type: "identity", endpoints: [{ interface: "public", region_id: "R1", url: `${base}/identity/v3` }] },
                    { type: "instance-ha", endpoints: [{ interface: "public", region_id: "R1", url: `${base}/instance-ha/v1` }] },
                ],
            },
        }),
    );
}

beforeAll(async () => {
    http = createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            const path = req.url!.split("?")[0]!;
            seen.push({ method: req.method!, path: req.url!, headers: req.headers });
            if (req.method === "POST" && path === "/identity/v3/auth/tokens") return keystone(body, res);
            if (!valid.has(String(req.headers["x-auth-token"]))) {
                return json(res, 401, { error: { code: 401, message: "The request you have made requires authentication." } });
            }
            const h = routes[`${req.method} ${path}`];
            if (!h) return json(res, 404, { itemNotFound: { code: 404, message: `no route ${req.method} ${path}` } });
            h(req, body, res);
        });
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => http.close(() => r())));
beforeEach(() => {
    seen = [];
    routes = {};
    valid = new Set();
});

function cloud(password = PASSWORD): CloudConfig {
    return {
        name: "fake",
        source: "test",
        authType: "password",
        interface: "public",
        regionName: "R1",
        auth: { authUrl: `${base}/identity`, username: "admin", password, userDomainName: "Default", projectName: "admin", projectDomainName: "Default" },
    };
}

const fast = { retry: { baseDelayMs: 20, maxDelayMs: 200, maxRetries: 3, requestTimeoutMs: 5000 } };
const ok: Handler = (_q, _b, res) => json(res, 200, { ok: true });

describe("authentication", () => {
    it("reuses one token across calls, and concurrent callers share one authentication", async () => {
        routes["GET /compute/v2.1/thing"] = ok;
        const s = new OpenStackSession(cloud(), fast);
        await Promise.all([1, 2, 3, 4, 5].map(() => s.request("compute", "GET", "/thing")));
        for (let i = 0; i < 5; i++) await s.request("compute", "GET", "/thing");
        expect(s.stats).toEqual({ requests: 10, authentications: 1 });
    });

    it("re-authenticates exactly once after a 401 and retries the request", async () => {
        routes["GET /compute/v2.1/thing"] = ok;
        const s = new OpenStackSession(cloud(), fast);
        await s.request("compute", "GET", "/thing");
        valid.clear(); // the token was revoked
        const r = await s.request<{ ok: boolean }>("compute", "GET", "/thing");
        expect(r.body.ok).toBe(true);
        expect(s.stats).toEqual({ requests: 3, authentications: 2 });
    });

    it("gives up with AuthenticationError when a fresh token is refused too", async () => {
        routes["GET /compute/v2.1/forbidden"] = (_q, _b, res) => json(res, 401, { error: { code: 401, message: "nope" } });
        const s = new OpenStackSession(cloud(), fast);
        const err = await s.request("compute", "GET", "/forbidden").catch((e) => e);
        expect(err).toBeInstanceOf(AuthenticationError);
        expect(err.status).toBe(401);
        expect(s.stats).toEqual({ requests: 2, authentications: 2 });
    });

    it("reports refused credentials with Keystone's words and the cloud's name, never the password or token", async () => {
        const s = new OpenStackSession(cloud("wrong-password"), fast);
        const err = await s.request("compute", "GET", "/thing").catch((e) => e);
        expect(err).toBeInstanceOf(AuthenticationError);
        expect(err.message).toBe(
            `Expected HTTP response code [201] when accessing [POST ${base}/identity/v3/auth/tokens], but got 401 instead: ` +
                'The request you have made requires authentication. (password credentials of cloud "fake" from test)',
        );
        expect(inspect(err, { depth: 5 })).not.toContain("wrong-password");
    });

    it("keeps credentials and tokens out of inspect() and JSON of the session and its errors", async () => {
        routes["POST /compute/v2.1/boom"] = (_q, _b, res) => json(res, 500, { computeFault: { code: 500, message: "boom" } });
        const s = new OpenStackSession(cloud(), fast);
        const err = await s.request("compute", "POST", "/boom", { body: {} }).catch((e) => e);
        const token = await s.getToken();
        for (const text of [inspect(s, { depth: 9 }), JSON.stringify(s), inspect(err, { depth: 9 }), JSON.stringify(err), err.stack]) {
            expect(text).not.toContain(PASSWORD);
            expect(text).not.toContain(token);
        }
    });
});

describe("backoff on 429 and 503", () => {
    it("honours Retry-After in seconds", async () => {
        let n = 0;
        routes["GET /compute/v2.1/limited"] = (_q, _b, res) => (++n === 1 ? json(res, 429, { message: "slow down" }, { "Retry-After": "1" }) : ok(_q, _b, res));
        const s = new OpenStackSession(cloud(), { retry: { ...fast.retry, maxDelayMs: 5000 } });
        const t0 = Date.now();
        await s.request("compute", "GET", "/limited");
        expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
        expect(s.stats.requests).toBe(2);
    });

    it("caps a long Retry-After", async () => {
        let n = 0;
        routes["GET /compute/v2.1/limited"] = (_q, _b, res) => (++n === 1 ? json(res, 429, {}, { "Retry-After": "3600" }) : ok(_q, _b, res));
        const s = new OpenStackSession(cloud(), fast);
        const t0 = Date.now();
        await s.request("compute", "GET", "/limited");
        expect(Date.now() - t0).toBeLessThan(1500);
    });

    it("stops after maxRetries and reports the 429", async () => {
        routes["POST /compute/v2.1/limited"] = (_q, _b, res) => json(res, 429, { overLimit: { code: 429, message: "Over limit" } }, { "Retry-After": "0" });
        const s = new OpenStackSession(cloud(), fast);
        const err = await s.request("compute", "POST", "/limited", { body: {}, okStatus: [202] }).catch((e) => e);
        expect(err).toBeInstanceOf(OpenStackHttpError);
        expect(err.message).toMatch(/\[202\] when accessing \[POST .*\/limited\], but got 429 instead: Over limit$/);
        expect(s.stats.requests).toBe(4); // 1 + maxRetries (3)
    });

    it("retries 503 for GET with backoff, but a POST only when the service sends Retry-After", async () => {
        let gets = 0;
        routes["GET /compute/v2.1/flaky"] = (_q, _b, res) => (++gets < 3 ? json(res, 503, {}) : ok(_q, _b, res));
        routes["POST /compute/v2.1/flaky"] = (_q, _b, res) => json(res, 503, { message: "down" });
        const s = new OpenStackSession(cloud(), fast);
        await s.request("compute", "GET", "/flaky");
        expect(gets).toBe(3);
        const before = s.stats.requests;
        const err = await s.request("compute", "POST", "/flaky", { body: {} }).catch((e) => e);
        expect(err.status).toBe(503);
        expect(s.stats.requests - before).toBe(1);

        let posts = 0;
        routes["POST /compute/v2.1/flaky"] = (_q, _b, res) => (++posts === 1 ? json(res, 503, {}, { "Retry-After": "0" }) : json(res, 202, undefined));
        await s.request("compute", "POST", "/flaky", { body: {}, okStatus: [202] });
        expect(posts).toBe(2);
    });

    it("parses Retry-After as an HTTP date too", () => {
        const now = Date.parse("2024-01-01T00:00:00Z");
        expect(parseRetryAfter("Mon, 01 Jan 2024 00:00:05 GMT", now)).toBe(5000);
        expect(parseRetryAfter("2.5", now)).toBe(2500);
        expect(parseRetryAfter("soon", now)).toBeUndefined();
        expect(parseRetryAfter(null, now)).toBeUndefined();
    });
});

describe("errors read like gophercloud's", () => {
    it("carries method, URL, status, request id and Nova's own message", async () => {
        routes["POST /compute/v2.1/servers/abc/action"] = (_q, _b, res) =>
            json(
                res,
                409,
                { conflictingRequest: { code: 409, message: "Cannot 'os-migrateLive' instance abc while it is in task_state migrating" } },
                { "x-openstack-request-id": "req-123" },
            );
        routes["GET /compute/v2.1/"] = (_q, _b, res) => json(res, 200, { version: { id: "v2.1", version: "2.93", min_version: "2.1" } });
        const s = new OpenStackSession(cloud(), fast);
        const nova = new NovaClient(s);
        const err = await nova.liveMigrate("abc", { host: "compute-2" }).catch((e) => e);
        expect(err).toBeInstanceOf(OpenStackHttpError);
        expect(err.message).toBe(
            `Expected HTTP response code [202] when accessing [POST ${base}/compute/v2.1/servers/abc/action], but got 409 instead: ` +
                "Cannot 'os-migrateLive' instance abc while it is in task_state migrating (request req-123)",
        );
        expect(err).toMatchObject({ method: "POST", status: 409, requestId: "req-123", expected: [202] });
        const post = seen.find((r) => r.method === "POST" && r.path.endsWith("/action"))!;
        expect(post.headers["openstack-api-version"]).toBe("compute 2.30");
        expect(post.headers["x-openstack-nova-api-version"]).toBe("2.30");
    });

    it("404 is a NotFoundError, and getServer turns it into undefined", async () => {
        routes["GET /compute/v2.1/"] = (_q, _b, res) => json(res, 200, { version: { version: "2.93" } });
        const nova = new NovaClient(new OpenStackSession(cloud(), fast));
        expect(await nova.getServer("missing")).toBeUndefined();
        const err = await nova.session.request("compute", "GET", "/servers/missing").catch((e) => e);
        expect(err).toBeInstanceOf(NotFoundError);
        expect(err.serviceMessage).toBe("no route GET /compute/v2.1/servers/missing");
    });

    it("extracts the message from each service's error shape", () => {
        expect(serviceMessageOf({ badRequest: { code: 400, message: "Invalid host" } })).toBe("Invalid host");
        expect(serviceMessageOf({ error: { code: 401, title: "Unauthorized", message: "auth needed" } })).toBe("auth needed");
        expect(serviceMessageOf({ NeutronError: { type: "X", message: "net gone", detail: "" } })).toBe("net gone");
        expect(serviceMessageOf({ errors: [{ status: 409, title: "Conflict", detail: "placement says no" }] })).toBe("placement says no");
        expect(serviceMessageOf("<html><body><h1>503 Service Unavailable</h1>\n No server</body></html>")).toBe("503 Service Unavailable No server");
        expect(serviceMessageOf(undefined)).toBeUndefined();
    });

    it("a refused connection is an OpenStackConnectionError naming the URL", async () => {
        // A port that was free a moment ago: nothing listens there.
        const probe = createServer();
        await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
        const port = (probe.address() as AddressInfo).port;
        await new Promise<void>((r) => probe.close(() => r()));
        const c = cloud();
        c.auth.authUrl = `http://127.0.0.1:${port}/v3`;
        const s = new OpenStackSession(c, { retry: { ...fast.retry, maxRetries: 1 } });
        const err = await s.request("compute", "GET", "/x").catch((e) => e);
        expect(err).toBeInstanceOf(OpenStackConnectionError);
        expect(err.message).toMatch(new RegExp(`^Could not reach \\[POST http://127\\.0\\.0\\.1:${port}/v3/auth/tokens\\]: ECONNREFUSED.*\\(after 2 attempts\\)$`));
    });
});

describe("pagination", () => {
    it("follows next links on our own endpoint and stops at the bound", async () => {
        routes["GET /compute/v2.1/"] = (_q, _b, res) => json(res, 200, { version: { version: "2.93" } });
        routes["GET /compute/v2.1/servers/detail"] = (req, _b, res) => {
            const marker = new URL(req.url!, base).searchParams.get("marker");
            const page = marker ? Number(marker) : 0;
            json(res, 200, {
                servers: [{ id: `s${page}`, name: "n", status: "ACTIVE" }],
                // An address we must not follow (a proxy's internal name): only its query is used.
                servers_links: page < 2 ? [{ rel: "next", href: `http://internal.invalid/v2.1/servers/detail?marker=${page + 1}` }] : [],
            });
        };
        const nova = new NovaClient(new OpenStackSession(cloud(), fast));
        expect((await nova.listServers()).map((s) => s.id)).toEqual(["s0", "s1", "s2"]);
        const listAll = (await import("../../lib/openstack/pagination")).listAll;
        await expect(listAll(nova.session, "compute", "/servers/detail", "servers", { maxPages: 2 })).rejects.toThrow(/more than 2 pages/);
    });
});

describe("Masakari", () => {
    const path = "PUT /instance-ha/v1/segments/seg-1/hosts/host-1";
    const inUse = { conflictingRequest: { code: 409, message: "Host host-1 can't be updated as it is in-use to process notifications." } };

    it("waits while Masakari still processes a notification about the host, then updates it", async () => {
        let refusals = 2;
        routes[path] = (_q, body, res) =>
            refusals-- > 0 ? json(res, 409, inUse) : json(res, 200, { host: { uuid: "host-1", name: "compute-3", ...JSON.parse(body).host } });
        const m = new MasakariClient(new OpenStackSession(cloud(), fast));
        const h = await m.updateHostWhenIdle("seg-1", "host-1", { on_maintenance: false }, { intervalMs: 20 });
        expect(h.on_maintenance).toBe(false);
        expect(seen.filter((r) => r.method === "PUT")).toHaveLength(3);
    });

    it("gives up after its bound with Masakari's words and what to do; any other refusal at once", async () => {
        routes[path] = (_q, _b, res) => json(res, 409, inUse);
        const m = new MasakariClient(new OpenStackSession(cloud(), fast));
        const err = await m.updateHostWhenIdle("seg-1", "host-1", { on_maintenance: false }, { timeoutMs: 100, intervalMs: 20 }).catch((e: Error) => e);
        expect(String(err)).toMatch(/in-use to process notifications.*still so after 0.1 s: Masakari has not finished its notification about this host .*Run pulumi up again once it has/);

        seen = [];
        routes[path] = (_q, _b, res) => json(res, 409, { conflictingRequest: { code: 409, message: "something else" } });
        await expect(m.updateHostWhenIdle("seg-1", "host-1", { reserved: true }, { intervalMs: 20 })).rejects.toThrow(/something else/);
        expect(seen.filter((r) => r.method === "PUT")).toHaveLength(1);
    });
});
