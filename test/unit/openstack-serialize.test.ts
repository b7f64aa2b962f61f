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
        const http = createServer((_req, res) => {
            res.writeHead(201, { "Content-Type": "application/json", "X-Subject-Token": "t" });
            res.end(JSON.stringify({ token: { catalog: [{ type: "compute", endpoints: [{ interface: "public", url: "http://nova.invalid/v2.1" }] }] } }));
        });
        await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
        try {
            const port = (http.address() as AddressInfo).port;
            const file = path.join(dir, "clouds.yaml");
            writeFileSync(file, `clouds:\n  c:\n    auth:\n      auth_url: http://127.0.0.1:${port}/v3\n      user_id: u\n      password: p\n      project_id: p\n`);
            const run = async (f: string) => {
                const session = new os.OpenStackSession(os.loadCloud({ cloud: "c", configFiles: [f], env: {} }));
                await os.waitFor("a token", () => session.getToken(), (t) => t.length > 0, { timeoutMs: 1000 });
                return { endpoint: await session.endpoint("compute"), stats: session.stats };
            };
            const sf = await pulumi.runtime.serializeFunction(run);
            const mod: { exports: { handler?: typeof run } } = { exports: {} };
            new Function("exports", "module", "require", sf.text)(mod.exports, mod, require);
            expect(await mod.exports.handler!(file)).toEqual({ endpoint: "http://nova.invalid/v2.1", stats: { requests: 0, authentications: 1 } });
        } finally {
            await new Promise<void>((r) => http.close(() => r()));
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
