// The one place the program reads its stack config. It stops the program, before any resource is
// registered, with every problem listed.
import { RunError } from "@pulumi/pulumi/errors";
import { getProject, getStack } from "@pulumi/pulumi/metadata";
import { ConfigError, parseStackConfig } from "./load";
import type { StackConfig } from "./schema";

export { ConfigError, parseStackConfig, formatPath } from "./load";
export * from "./schema";

// `isConfigSecret` is part of the SDK's runtime but not of its published typings.
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { allConfig(): Record<string, string>; isConfigSecret(key: string): boolean };

export function loadStackConfig(): StackConfig {
    try {
        return parseStackConfig(getStack(), getProject(), runtimeConfig.allConfig(), (k) =>
            runtimeConfig.isConfigSecret(k),
        );
    } catch (err) {
        // RunError prints just the message: a config mistake needs no stack trace.
        if (err instanceof ConfigError) throw new RunError(err.message);
        throw err;
    }
}
