// What the program and the providers use of @pulumi/pulumi, from the SDK's own modules. Its main module
// also loads the closure serializer (TypeScript's compiler, npm's arborist) and the Automation API: ~0.8 s
// of every program start, for nothing this project uses (its providers are stored as text, providers/lazy.ts).
// These are the same module instances the main module re-exports (Node caches them by file).
export * from "@pulumi/pulumi/output";
export * from "@pulumi/pulumi/resource";
export { getProject, getStack } from "@pulumi/pulumi/metadata";
export { RunError } from "@pulumi/pulumi/errors";
export * as dynamic from "@pulumi/pulumi/dynamic";
export * as log from "@pulumi/pulumi/log";
