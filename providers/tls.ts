// The stack's own CA and per-host certificates for libvirt/QEMU TLS. Private keys are secret outputs:
// encrypted in the state, never printed.
import * as pulumi from "./sdk";
import { createCa, createHostCert, type HostIdentity } from "../lib/tls/certs";
import { LazyResource, lazyProvider, methodsOf } from "./lazy";

const VALID_DAYS = 3650;

interface CaInputs {
    commonName: string;
}
interface CaOutputs extends CaInputs {
    certPem: string;
    keyPem: string;
}

export class CaProvider implements pulumi.dynamic.ResourceProvider<CaInputs, CaOutputs> {
    async create(inputs: CaInputs): Promise<pulumi.dynamic.CreateResult<CaOutputs>> {
        const ca = createCa(inputs.commonName, VALID_DAYS);
        return { id: inputs.commonName, outs: { ...inputs, ...ca } };
    }
    async diff(_id: string, olds: CaOutputs, news: CaInputs): Promise<pulumi.dynamic.DiffResult> {
        const replace = olds.commonName !== news.commonName;
        return { changes: replace, replaces: replace ? ["commonName"] : [] };
    }
}

export const caProvider = lazyProvider(__filename, "CaProvider", methodsOf(CaProvider));

/** A self-signed CA whose key never leaves the stack's (encrypted) state. */
export class CertificateAuthority extends LazyResource {
    declare readonly certPem: pulumi.Output<string>;
    declare readonly keyPem: pulumi.Output<string>;

    constructor(name: string, args: { commonName: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
        super(caProvider, name, { ...args, certPem: undefined, keyPem: undefined }, { ...opts, additionalSecretOutputs: ["keyPem"] }, "livemig", "CertificateAuthority");
    }
}

interface CertInputs {
    caCertPem: string;
    caKeyPem: string;
    host: HostIdentity;
}
interface CertOutputs extends CertInputs {
    certPem: string;
    keyPem: string;
}

export class HostCertProvider implements pulumi.dynamic.ResourceProvider<CertInputs, CertOutputs> {
    async create(inputs: CertInputs): Promise<pulumi.dynamic.CreateResult<CertOutputs>> {
        const cert = createHostCert({ certPem: inputs.caCertPem, keyPem: inputs.caKeyPem }, inputs.host, VALID_DAYS);
        return { id: inputs.host.name, outs: { ...inputs, ...cert } };
    }
    async diff(_id: string, olds: CertOutputs, news: CertInputs): Promise<pulumi.dynamic.DiffResult> {
        // A new CA or a new identity means a new certificate.
        const replaces = (["caCertPem", "host"] as const).filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        return { changes: replaces.length > 0, replaces };
    }
}

export const hostCertProvider = lazyProvider(__filename, "HostCertProvider", methodsOf(HostCertProvider));

/** A certificate for one host, signed by the stack's CA; usable as TLS server and client. */
export class HostCertificate extends LazyResource {
    declare readonly certPem: pulumi.Output<string>;
    declare readonly keyPem: pulumi.Output<string>;

    constructor(
        name: string,
        args: { caCertPem: pulumi.Input<string>; caKeyPem: pulumi.Input<string>; host: pulumi.Input<HostIdentity> },
        opts?: pulumi.CustomResourceOptions,
    ) {
        super(
            hostCertProvider,
            name,
            { ...args, certPem: undefined, keyPem: undefined },
            { ...opts, additionalSecretOutputs: ["keyPem", "caKeyPem"] },
            "livemig",
            "HostCertificate",
        );
    }
}

interface KeyInputs {
    /** What the key is for, in the resource's id. */
    purpose: string;
    bytes: number;
}
interface KeyOutputs extends KeyInputs {
    /** Base64. */
    key: string;
}

export class RandomKeyProvider implements pulumi.dynamic.ResourceProvider<KeyInputs, KeyOutputs> {
    async create(inputs: KeyInputs): Promise<pulumi.dynamic.CreateResult<KeyOutputs>> {
        const { randomBytes } = require("node:crypto") as typeof import("node:crypto");
        return { id: inputs.purpose, outs: { ...inputs, key: randomBytes(inputs.bytes).toString("base64") } };
    }
    async diff(_id: string, olds: KeyOutputs, news: KeyInputs): Promise<pulumi.dynamic.DiffResult> {
        const replace = olds.bytes !== news.bytes;
        return { changes: replace || olds.purpose !== news.purpose, replaces: replace ? ["bytes"] : [] };
    }
    async update(_id: string, olds: KeyOutputs, news: KeyInputs): Promise<pulumi.dynamic.UpdateResult<KeyOutputs>> {
        return { outs: { ...news, key: olds.key } };
    }
}

export const randomKeyProvider = lazyProvider(__filename, "RandomKeyProvider", methodsOf(RandomKeyProvider));

/** Random bytes made once (e.g. a Corosync cluster's authkey), a secret output. */
export class RandomKey extends LazyResource {
    declare readonly key: pulumi.Output<string>;

    constructor(name: string, args: { purpose: pulumi.Input<string>; bytes: pulumi.Input<number> }, opts?: pulumi.CustomResourceOptions) {
        super(randomKeyProvider, name, { ...args, key: undefined }, { ...opts, additionalSecretOutputs: ["key"] }, "livemig", "RandomKey");
    }
}
