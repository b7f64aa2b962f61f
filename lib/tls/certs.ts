// X.509 for libvirt's TLS listener and QEMU's native TLS: one CA per stack, one certificate per compute
// host, valid as server (incoming migrations) and client (outgoing ones). Pure; node-forge signs, Node's
// crypto (through forge) generates the RSA keys.
import type * as Forge from "node-forge";

export interface CertAndKey {
    certPem: string;
    keyPem: string;
}

export interface HostIdentity {
    /** The host name: the certificate's CN and first DNS name (libvirt checks it against the URI's host). */
    name: string;
    dnsNames: string[];
    ipAddresses: string[];
}

// Required inside functions: this code runs in dynamic providers, whose closure serialization must not
// capture the module by value.
const forge = (): typeof Forge => require("node-forge") as typeof Forge;

function serial(): string {
    // Positive, 16 random bytes.
    return "01" + forge().util.bytesToHex(forge().random.getBytesSync(15));
}

function validity(cert: Forge.pki.Certificate, days: number) {
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + days * 86_400_000);
}

export function createCa(commonName: string, days: number): CertAndKey {
    const { pki, md } = forge();
    const keys = pki.rsa.generateKeyPair({ bits: 3072 });
    const cert = pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = serial();
    validity(cert, days);
    const subject = [{ name: "commonName", value: commonName }, { name: "organizationName", value: "livemig" }];
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.setExtensions([
        { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
        { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
        { name: "subjectKeyIdentifier" },
    ]);
    cert.sign(keys.privateKey, md.sha256.create());
    return { certPem: pki.certificateToPem(cert), keyPem: pki.privateKeyToPem(keys.privateKey) };
}

export function createHostCert(ca: CertAndKey, host: HostIdentity, days: number): CertAndKey {
    const { pki, md } = forge();
    const caCert = pki.certificateFromPem(ca.certPem);
    const caKey = pki.privateKeyFromPem(ca.keyPem);
    const keys = pki.rsa.generateKeyPair({ bits: 2048 });
    const cert = pki.createCertificate();
    cert.publicKey = keys.publicKey;
    cert.serialNumber = serial();
    validity(cert, days);
    cert.setSubject([{ name: "commonName", value: host.name }, { name: "organizationName", value: "livemig" }]);
    cert.setIssuer(caCert.subject.attributes);
    cert.setExtensions([
        { name: "basicConstraints", cA: false, critical: true },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true, clientAuth: true },
        {
            name: "subjectAltName",
            altNames: [
                ...[host.name, ...host.dnsNames.filter((d) => d !== host.name)].map((value) => ({ type: 2, value })),
                ...host.ipAddresses.map((ip) => ({ type: 7, ip })),
            ],
        },
    ]);
    cert.sign(caKey, md.sha256.create());
    return { certPem: pki.certificateToPem(cert), keyPem: pki.privateKeyToPem(keys.privateKey) };
}

/** SHA-256 of a PEM text, hex: what the host-side check script compares files against. */
export function sha256Hex(text: string): string {
    const { createHash } = require("node:crypto") as typeof import("node:crypto");
    return createHash("sha256").update(text).digest("hex");
}
