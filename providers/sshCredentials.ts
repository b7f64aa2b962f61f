// The stack's `ssh` config (key, known_hosts), read when the engine configures a provider: the key never
// becomes a resource input.
import type * as pulumi from "@pulumi/pulumi";
import type { SshCredentials } from "../lib/ssh/exec";

export type ProviderSshCredentials = SshCredentials & { connectTimeoutMs: number };

export function sshCredentialsFrom(config: pulumi.dynamic.Config): ProviderSshCredentials {
    const found = optionalSshCredentials(config);
    if (!found) throw new Error("the stack config has no `ssh` section: set ssh.privateKeyPath or ssh.privateKey");
    return found;
}

/** The same, or undefined for a stack without hosts (no `ssh` section). */
export function optionalSshCredentials(config: pulumi.dynamic.Config): ProviderSshCredentials | undefined {
    const fs = require("node:fs") as typeof import("node:fs");
    const text = config.get("ssh");
    if (!text) return undefined;
    const ssh = JSON.parse(text) as {
        privateKey?: string;
        privateKeyPath?: string;
        knownHostsPath?: string;
        connectTimeoutSeconds?: number;
    };
    const privateKey = ssh.privateKey ?? (ssh.privateKeyPath ? fs.readFileSync(ssh.privateKeyPath, "utf8") : undefined);
    if (!privateKey) throw new Error("ssh.privateKey or ssh.privateKeyPath must be set in the stack config");
    return {
        privateKey,
        knownHosts: ssh.knownHostsPath ? fs.readFileSync(ssh.knownHostsPath, "utf8") : undefined,
        connectTimeoutMs: (ssh.connectTimeoutSeconds ?? 60) * 1000,
    };
}
