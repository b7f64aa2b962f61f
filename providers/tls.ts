// The stack's own CA and per-host certificates for libvirt/QEMU TLS. Private keys are secret outputs:
// encrypted in the state, never printed.
import * as pulumi from "@pulumi/pulumi";
import { createCa, createHostCert, type HostIdentity } from "../lib/tls/certs";
import { lazyProvider, methodsOf } from "./lazy";

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

export const caProvider = lazyProvider("providers/tls", "CaProvider", methodsOf(CaProvider));

/** A self-signed CA whose key never leaves the stack's (encrypted) state. */
export class CertificateAuthority extends pulumi.dynamic.Resource {
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

export const hostCertProvider = lazyProvider("providers/tls", "HostCertProvider", methodsOf(HostCertProvider));

/** A certificate for one host, signed by the stack's CA; usable as TLS server and client. */
export class HostCertificate extends pulumi.dynamic.Resource {
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
