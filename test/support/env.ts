// The environment every real-engine test runs in: the project's Pulumi toolchain on PATH, a local file
// backend inside the repo (git-ignored), and no traffic to the internet from the CLI.
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");

let bin: string | undefined;
/** The directory with pulumi and pulumi-language-nodejs (built or found by tools/toolchain). */
export function toolchainBin(): string {
    if (bin) return bin;
    let out: string;
    try {
        out = execFileSync(path.join(repoRoot, "tools/toolchain"), ["--check"], { encoding: "utf8" });
    } catch {
        throw new Error("the Pulumi toolchain is not set up: run tools/toolchain (the README's test command does)");
    }
    bin = out.trim().split("\n").pop()!;
    return bin;
}

/** A passphrase for throw-away test stacks only; real stacks get theirs from the user. */
export const TEST_PASSPHRASE = "livemig-test-stacks";

export function pulumiEnv(backendName: string): Record<string, string> {
    const backend = path.join(repoRoot, ".pulumi-state", backendName);
    mkdirSync(backend, { recursive: true });
    return {
        PATH: `${toolchainBin()}:${process.env.PATH}`,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
        // No update check and no plugin downloads: nothing but the lab may be contacted.
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    };
}

/** The Automation API's handle on our CLI (its root is the directory above bin/pulumi). */
export function pulumiCommand(): Promise<PulumiCommand> {
    return PulumiCommand.get({ root: path.dirname(toolchainBin()) });
}
