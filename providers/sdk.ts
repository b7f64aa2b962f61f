// What the program and the providers use of @pulumi/pulumi, from the SDK's own modules. Its main module
// also loads the closure serializer and the Automation API, which this project does not use in the program
// (its providers are stored as text, providers/lazy.ts): ~0.07 CPU-s more, now that patches/ makes the
// heaviest of them (TypeScript's compiler, npm's arborist) load on first use; ~0.8 s before.
// These are the same module instances the main module re-exports (Node caches them by file).
export * from "@pulumi/pulumi/output";
export * from "@pulumi/pulumi/resource";
export { getProject, getStack } from "@pulumi/pulumi/metadata";
export { RunError } from "@pulumi/pulumi/errors";
export * as dynamic from "@pulumi/pulumi/dynamic";
export * as log from "@pulumi/pulumi/log";
