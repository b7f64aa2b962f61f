import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { PROVIDER_FORM, type LazyProvider } from "../../providers/lazy";
import { remoteScriptProvider } from "../../providers/remoteScript";
import { caProvider, hostCertProvider } from "../../providers/tls";

// The engine runs dynamic providers from the text stored in each resource's state (`__provider`); a
// provider whose text does not load fails only at `pulumi up`. Every provider the project exports gets
// these checks (found, not listed, so that a new one cannot be missed).
async function allProviders(): Promise<[string, LazyProvider][]> {
    const dir = path.join(__dirname, "../../providers");
    const found: [string, LazyProvider][] = [];
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
        const mod = (await import(path.join(dir, f))) as Record<string, unknown>;
        for (const [name, v] of Object.entries(mod)) {
            if (v && typeof v === "object" && typeof (v as { text?: unknown }).text === "string") found.push([`${f}:${name}`, v as LazyProvider]);
        }
    }
    return found;
}

/** The provider object, as the engine's dynamic-provider process makes it from the stored text. */
function loaded(provider: LazyProvider): Required<pulumi.dynamic.ResourceProvider> {
    const requireFromString = require("require-from-string") as (code: string) => { handler: () => Required<pulumi.dynamic.ResourceProvider> };
    return requireFromString(provider.text).handler();
}

describe("dynamic providers as the state stores them", () => {
    // Every dynamic resource stores its provider in the state, in its inputs and again in its outputs: a
    // reference to the code, never the code itself (which made 100–150 KB per resource before).
    it("every provider, in at most 1 KiB, and its text loads the implementation", async () => {
        const providers = await allProviders();
        expect(providers.length).toBeGreaterThanOrEqual(12);
        const problems: string[] = [];
        for (const [name, provider] of providers) {
            if (provider.text.length > 1024) problems.push(`${name}: ${provider.text.length} B`);
            if (!provider.text.includes(PROVIDER_FORM)) problems.push(`${name}: not marked ${PROVIDER_FORM}`);
            const p = loaded(provider);
            if (typeof p.create !== "function" && typeof p.read !== "function") problems.push(`${name}: its text does not load`);
        }
        expect(problems).toEqual([]);
    });

    it("name no path of the machine that wrote them", async () => {
        for (const [, provider] of await allProviders()) expect(provider.text).not.toContain(process.cwd());
    });

    it("keep their error messages when loaded from their text", async () => {
        const p = loaded(remoteScriptProvider);
        await p.configure!({ config: { get: (k: string) => (k === "ssh" ? JSON.stringify({ privateKey: "unused", connectTimeoutSeconds: 1 }) : undefined), require: () => "" } });
        const err = await p
            .create({ host: { name: "nowhere", address: "127.0.0.1", port: 1, user: "root" }, step: "s", create: "true", drift: [] })
            .then(() => undefined, (e: Error) => e);
        expect(err?.message).toMatch(/^nowhere: step "s" could not start: cannot SSH to nowhere \(root@127\.0\.0\.1:1\): Cannot parse privateKey/);
    });

    it("still create certificates when loaded from their text", async () => {
        const ca = await loaded(caProvider).create({ commonName: "test CA" });
        const cert = await loaded(hostCertProvider).create({
            caCertPem: ca.outs!.certPem,
            caKeyPem: ca.outs!.keyPem,
            host: { name: "compute-1", dnsNames: ["compute-1"], ipAddresses: ["10.77.0.11"] },
        });
        expect(cert.outs!.certPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
        const { X509Certificate } = require("node:crypto") as typeof import("node:crypto");
        const x = new X509Certificate(cert.outs!.certPem);
        expect(x.verify(new X509Certificate(ca.outs!.certPem).publicKey)).toBe(true);
        expect(x.subjectAltName).toContain("DNS:compute-1");
        expect(x.subjectAltName).toContain("IP Address:10.77.0.11");
    });
});
