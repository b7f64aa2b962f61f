// The client is called from Pulumi dynamic providers, which the engine runs from their serialized text.
// Top-level imports of built-ins or npm packages would break that; this proves the client serializes,
// and that the serialized text runs: it reads clouds.yaml, authenticates and polls.
import * as pulumi from "@pulumi/pulumi";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as os from "../../lib/openstack";
import { CloudConfigError, NotFoundError, WaitTimeoutError } from "../../lib/openstack/errors";

describe("lib/openstack inside a dynamic provider", () => {
    it("serializes a closure that authenticates, migrates and evacuates", async () => {
        const provider = {
            async create(inputs: { serverId: string; host: string }) {
                const session = new os.OpenStackSession(os.loadCloud({}));
                const nova = new os.NovaClient(session);
                const r = await os.liveMigrateAndWait(nova, inputs.serverId, { host: inputs.host, timeoutMs: 600_000, onTimeout: "abort" });
                await os.evacuateAndWait(nova, inputs.serverId, { timeoutMs: 600_000 });
                await os.waitForServerStatus(nova, inputs.serverId, { status: "ACTIVE", timeoutMs: 1000 });
                await new os.CinderClient(session).getVolume("x");
                await new os.GlanceClient(session).findImage("x");
                return { id: String(r.migrationId), outs: r };
            },
        };
        const sf = await pulumi.runtime.serializeFunction(() => provider);
        expect(sf.text).toContain("exports.handler");
        // The modules come along by value; yaml and node:fs are required lazily inside functions.
        expect(sf.text).toContain("liveMigrateAndWait");
        expect(sf.text).toContain('require("yaml")');
    });

    it("runs from its serialized text", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "livemig-ser-"));
        let port = 0;
        const http = createServer((req, res) => {
            if (req.method === "GET") {
                res.writeHead(200, { "Content-Type": "application/json" });
                res.end(JSON.stringify({ version: { version: "2.93" } }));
                return;
            }
            res.writeHead(201, { "Content-Type": "application/json", "X-Subject-Token": "t" });
            res.end(JSON.stringify({ token: { catalog: [{ type: "compute", endpoints: [{ interface: "public", url: `http://127.0.0.1:${port}/v2.1` }] }] } }));
        });
        await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
        try {
            port = (http.address() as AddressInfo).port;
            const file = path.join(dir, "clouds.yaml");
            writeFileSync(file, `clouds:\n  c:\n    auth:\n      auth_url: http://127.0.0.1:${port}/v3\n      user_id: u\n      password: p\n      project_id: p\n`);
            const run = async (f: string) => {
                const session = new os.OpenStackSession(os.loadCloud({ cloud: "c", configFiles: [f], env: {} }));
                let probes = 0;
                await os.waitFor("a second probe", async () => ++probes, (n) => n >= 2, { timeoutMs: 5000, intervalMs: 10 });
                const max = await new os.NovaClient(session).maxMicroversion();
                return { max, stats: session.stats };
            };
            const sf = await pulumi.runtime.serializeFunction(run);
            const mod: { exports: { handler?: typeof run } } = { exports: {} };
            new Function("exports", "module", "require", sf.text)(mod.exports, mod, require);
            expect(await mod.exports.handler!(file)).toEqual({ max: "2.93", stats: { requests: 1, authentications: 1 } });
        } finally {
            await new Promise<void>((r) => http.close(() => r()));
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("keeps error messages once serialized (there, classes become functions)", async () => {
        const provider = {
            async timeout() {
                throw new WaitTimeoutError("the server to be ACTIVE", 1000, "BUILD");
            },
            async config() {
                throw new CloudConfigError("no OS_AUTH_URL");
            },
            async notFound() {
                throw new NotFoundError({ method: "GET", url: "http://x/servers/1", status: 404, expected: [200] });
            },
        };
        const sf = await pulumi.runtime.serializeFunction(() => provider);
        const p = (require("require-from-string") as (c: string) => { handler: () => typeof provider })(sf.text).handler();
        const messages = await Promise.all([p.timeout(), p.config(), p.notFound()].map((x) => x.catch((e: Error) => e.message)));
        expect(messages).toEqual([
            "Timed out after 1 s waiting for the server to be ACTIVE; last observed: BUILD",
            "no OS_AUTH_URL",
            "Expected HTTP response code [200] when accessing [GET http://x/servers/1], but got 404 instead",
        ]);
    });
});
