// ComputeHost: a nova compute host prepared for live migration — libvirtd listening for migrations on the
// chosen transport (TLS by default, with a certificate from the stack's CA), and nova.conf's migration
// settings. Each part restarts only its own service, and only when its configuration changed.
import * as pulumi from "../providers/sdk";
import { cephClient, type CephClientSpec } from "../lib/hostscripts/ceph";
import { libvirtListen, type Transport } from "../lib/hostscripts/libvirt";
import { novaMigrationConfig, type NovaMigrationSpec } from "../lib/hostscripts/nova";
import { novaCompute, type NovaComputeSpec } from "../lib/hostscripts/novaCompute";
import { secretsStdin } from "../lib/hostscripts/prelude";
import { pemSha256 } from "../lib/hostscripts/step";
import type { SshTarget } from "../lib/ssh/exec";
import { RemoteScript } from "../providers/remoteScript";
import { ComputeServiceReady } from "../providers/computeReady";
import { HostCertificate } from "../providers/tls";

export interface ComputeHostArgs {
    /** The host and how to reach it over SSH (credentials come from the stack's ssh config). */
    host: SshTarget;
    /** tls (default in the config), tcp-sasl, or tcp-insecure (only with the config's explicit opt-in). */
    transport: Transport;
    /** smbios (default) or machine-id, for hosts that share SMBIOS data. */
    hostUuidSource: "smbios" | "machine-id";
    /** tls: the stack's CA that signs this host's certificate. */
    ca?: { certPem: pulumi.Input<string>; keyPem: pulumi.Input<string> };
    /** tcp-sasl: the SASL login (the password is a secret). */
    sasl?: { username: string; password: pulumi.Input<string> };
    /** nova.conf settings; the scheme, inbound address and native TLS follow from the transport and host. */
    nova: Omit<NovaMigrationSpec, "scheme" | "inboundAddress" | "nativeTls">;
    /** A client of the stack's Ceph cluster: RBD volumes, and RBD instance disks when `instanceDisksPool` is set. */
    ceph?: Omit<CephClientSpec, "configPath"> & { key: pulumi.Input<string> };
    /**
     * The host failed and is being evacuated: its configuration is left as it is (a changed setting reaches
     * it once it is back in service), so that nothing waits on a host that cannot answer.
     */
    failed?: boolean;
    /** Also run nova-compute with the libvirt driver here; default: only the migration settings. */
    novaCompute?: {
        virtType: NovaComputeSpec["virtType"];
        cpuMode: NovaComputeSpec["cpuMode"];
        /** The control plane's settings (secret), "section<TAB>key<TAB>value" lines. */
        controllerSettings: pulumi.Input<string>;
    };
}

export class ComputeHost extends pulumi.ComponentResource {
    /** The host's certificate (tls only). */
    readonly certPem?: pulumi.Output<string>;
    readonly libvirt: RemoteScript;
    readonly novaConfig: RemoteScript;
    readonly novaCompute?: RemoteScript;
    readonly ceph?: RemoteScript;

    constructor(name: string, args: ComputeHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("livemig:index:ComputeHost", name, {}, opts);
        // Children of a failed host keep what they last applied (see ComputeHostArgs.failed).
        const frozen: pulumi.CustomResourceOptions = args.failed ? { ignoreChanges: FROZEN } : {};
        const { host, transport } = args;
        if (transport === "tcp-insecure") {
            // On every preview and update, as long as the stack uses it.
            pulumi.log.warn(
                `${host.name}: libvirt accepts migrations over plain TCP with auth_tcp = "none" (libvirt.transport tcp-insecure): ` +
                    "anyone who reaches port 16509 controls every VM on this host, and migration traffic is unencrypted",
                this,
            );
        }

        let stdin: pulumi.Output<string> | undefined;
        let libvirtStep: pulumi.Output<{ create: string; check: string }>;
        if (transport === "tls") {
            if (!args.ca) throw new Error(`${name}: transport tls needs the stack's CA`);
            const cert = new HostCertificate(
                `${name}-cert`,
                {
                    caCertPem: args.ca.certPem,
                    caKeyPem: args.ca.keyPem,
                    host: { name: host.name, dnsNames: [host.name], ipAddresses: isIp(host.address) ? [host.address] : [] },
                },
                { parent: this },
            );
            this.certPem = cert.certPem;
            stdin = pulumi.secret(cert.keyPem.apply((k) => secretsStdin([k.trim()])));
            // The key's hash is not sensitive; keeping it out of the secret keeps the scripts readable in previews.
            const keySha256 = pulumi.unsecret(cert.keyPem.apply(pemSha256));
            libvirtStep = pulumi
                .all([args.ca.certPem, cert.certPem, keySha256])
                .apply(([caCertPem, certPem, keySha]) =>
                    libvirtListen({ transport, hostUuidSource: args.hostUuidSource, tls: { caCertPem, certPem, keySha256: keySha } }),
                );
        } else if (transport === "tcp-sasl") {
            if (!args.sasl) throw new Error(`${name}: transport tcp-sasl needs a SASL login`);
            stdin = pulumi.secret(pulumi.output(args.sasl.password).apply((p) => secretsStdin([p])));
            libvirtStep = pulumi.output(libvirtListen({ transport, hostUuidSource: args.hostUuidSource, sasl: { username: args.sasl.username } }));
        } else {
            libvirtStep = pulumi.output(libvirtListen({ transport, hostUuidSource: args.hostUuidSource }));
        }

        this.libvirt = new RemoteScript(
            `${name}-libvirt`,
            { host, step: "libvirt migration listener", create: libvirtStep.create, check: libvirtStep.check, stdin },
            { parent: this, ...frozen },
        );
        const nova = novaMigrationConfig({
            ...args.nova,
            scheme: transport === "tls" ? "tls" : "tcp",
            inboundAddress: host.address,
            nativeTls: transport === "tls",
        });
        this.novaConfig = new RemoteScript(`${name}-nova`, { host, step: "nova live-migration settings", ...nova }, { parent: this, ...frozen });
        if (args.ceph) {
            const { key, ...spec } = args.ceph;
            // After the migration settings (both edit nova.conf) and libvirtd's (it defines a libvirt secret:
            // a virsh call during the listener's restart would re-activate libvirtd under it).
            this.ceph = new RemoteScript(
                `${name}-ceph`,
                { host, step: "Ceph client", ...cephClient({ ...spec, configPath: args.nova.configPath }), stdin: pulumi.secret(pulumi.output(key).apply((k) => secretsStdin([k]))) },
                { parent: this, dependsOn: [this.novaConfig, this.libvirt], ...frozen },
            );
        }
        if (args.novaCompute) {
            const step = novaCompute({
                configPath: args.nova.configPath,
                host: host.name,
                address: host.address,
                instancesPath: args.nova.instancesPath,
                virtType: args.novaCompute.virtType,
                cpuMode: args.novaCompute.cpuMode,
            });
            // After the migration settings (both edit nova.conf) and libvirtd (the driver connects to it); run
            // again when libvirtd restarted, so that nova-compute connects to the new one at once.
            const libvirtSince = this.libvirt.stdout.apply((o) => /libvirtd active since (\S+)/.exec(o)?.[1] ?? "");
            this.novaCompute = new RemoteScript(
                `${name}-nova-compute`,
                {
                    host,
                    step: "nova-compute",
                    ...step,
                    stdin: pulumi.secret(pulumi.output(args.novaCompute.controllerSettings).apply((t) => secretsStdin([t]))),
                    triggers: [libvirtSince],
                },
                { parent: this, dependsOn: [this.novaConfig, this.libvirt, ...(this.ceph ? [this.ceph] : [])], ...frozen },
            );
            new ComputeServiceReady(
                `${name}-nova-service`,
                {
                    host: host.name,
                    activeSince: this.novaCompute.stdout.apply((o) => /nova-compute active since (\S+)/.exec(o)?.[1] ?? ""),
                    libvirtSince,
                    timeoutSeconds: 300,
                },
                { parent: this },
            );
        }
        this.registerOutputs({ certPem: this.certPem });
    }
}

/** Every input of a RemoteScript: what a failed host's scripts ignore until it is back. */
const FROZEN = ["host", "step", "create", "check", "delete", "stdin", "triggers", "drift"];

function isIp(address: string): boolean {
    const { isIP } = require("node:net") as typeof import("node:net");
    return isIP(address) !== 0;
}
