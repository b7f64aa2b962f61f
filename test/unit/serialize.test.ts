import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { remoteScriptProvider } from "../../providers/remoteScript";
import { bootVolumeProvider } from "../../providers/bootVolume";
import { computeReadyProvider } from "../../providers/computeReady";
import { evacuationProvider } from "../../providers/evacuation";
import { hostMaintenanceProvider } from "../../providers/hostMaintenance";
import { placementProvider } from "../../providers/placement";
import { serverInstanceProvider } from "../../providers/serverInstance";
import { caProvider, hostCertProvider } from "../../providers/tls";

// The engine runs dynamic providers from their serialized text; a provider that does not serialize
// fails only at `pulumi up`. Every provider gets this check.
const providers: [string, object][] = [
    ["RemoteScript", remoteScriptProvider],
    ["CertificateAuthority", caProvider],
    ["HostCertificate", hostCertProvider],
    ["Server", serverInstanceProvider],
    ["BootVolume", bootVolumeProvider],
    ["Placement", placementProvider],
    ["HostMaintenance", hostMaintenanceProvider],
    ["Evacuation", evacuationProvider],
    ["ComputeServiceReady", computeReadyProvider],
];

async function deserialized<T>(provider: T): Promise<T> {
    const sf = await pulumi.runtime.serializeFunction(() => provider);
    const requireFromString = require("require-from-string") as (code: string) => { handler: () => T };
    return requireFromString(sf.text).handler();
}

describe("dynamic providers serialize", () => {
    it.each(providers)("%s, and its text loads", async (_name, provider) => {
        const sf = await pulumi.runtime.serializeFunction(() => provider);
        expect(sf.text).toContain("exports.handler");
        expect(await deserialized(provider)).toBeTypeOf("object");
    });

    it("keep their error messages after serialization (classes become functions there)", async () => {
        const p = await deserialized(remoteScriptProvider);
        await p.configure!({ config: { get: (k: string) => (k === "ssh" ? JSON.stringify({ privateKey: "unused", connectTimeoutSeconds: 1 }) : undefined), require: () => "" } });
        const err = await p
            .create({ host: { name: "nowhere", address: "127.0.0.1", port: 1, user: "root" }, step: "s", create: "true", drift: [] })
            .then(() => undefined, (e: Error) => e);
        expect(err?.message).toMatch(/^cannot SSH to nowhere \(root@127\.0\.0\.1:1\): Cannot parse privateKey/);
    });

    it("still create certificates when deserialized", async () => {
        const ca = await (await deserialized(caProvider)).create({ commonName: "test CA" });
        const cert = await (await deserialized(hostCertProvider)).create({
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
