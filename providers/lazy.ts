// What a dynamic resource stores of its provider. The engine keeps every dynamic resource's provider in
// the state, serialized with everything it reaches: a provider object that captures the project's
// modules stores them whole (100–150 KB per resource before this). This one stores only where its
// implementation is, relative to the program's directory, which is also where the engine starts the
// provider process (its `pulumi-resource-pulumi-nodejs` runs ./node_modules/@pulumi/pulumi/cmd/dynamic-provider).
// So the stored form names no path of the machine that wrote it: another clone in another directory
// works on the same state.
import type * as pulumi from "@pulumi/pulumi";

/** Marks the stored form; a resource whose state holds another (the self-contained kind) is rewritten once. */
export const PROVIDER_FORM = "livemig-lazy-provider-1";

type Impl = Required<pulumi.dynamic.ResourceProvider>;
type Method = Exclude<keyof Impl, "configure">;
const METHODS: Method[] = ["check", "diff", "create", "read", "update", "delete"];

/**
 * A provider whose methods load `exportName` (a class) from the module `file` (pass `__filename`) on first
 * use and delegate to one instance of it. `methods` are the ones the class implements: the engine treats
 * a missing check/diff/read differently from a present one.
 */
export function lazyProvider(file: string, exportName: string, methods: readonly (keyof Impl)[]): pulumi.dynamic.ResourceProvider {
    const path = require("node:path") as typeof import("node:path");
    // Computed here, in the program; only this relative path is stored.
    const module = path.relative(process.cwd(), file.replace(/\.[cm]?[jt]s$/, "")).split(path.sep).join("/");
    const form = PROVIDER_FORM;
    // One instance per process, kept on globalThis: serialized closures get their own copies of captured
    // variables, so a variable here would not be shared between the methods.
    const load = (): Impl => {
        const registry = ((globalThis as Record<string, unknown>).__livemigProviders ??= {}) as Record<string, Impl>;
        const key = `${module}#${exportName}`;
        if (!registry[key]) {
            // The sources are TypeScript: tsx's CommonJS hook compiles them on require (esbuild, no type check).
            if (!registry["tsx#registered"]) registry["tsx#registered"] = require("tsx/cjs/api").register();
            const path = require("node:path") as typeof import("node:path");
            const Class = require(path.resolve(process.cwd(), module))[exportName] as new () => Impl;
            if (typeof Class !== "function") throw new Error(`provider ${exportName} not found in ${module} under ${process.cwd()}`);
            registry[key] = new Class();
        }
        return registry[key];
    };
    const legacy = (olds: Record<string, unknown>) => typeof olds.__provider === "string" && !olds.__provider.includes(form);
    const provider: Record<string, unknown> = {};
    if (methods.includes("configure")) provider.configure = (req: pulumi.dynamic.ConfigureRequest) => load().configure(req);
    for (const m of METHODS.filter((m) => methods.includes(m))) {
        provider[m] = (...args: unknown[]) => (load()[m] as (...a: unknown[]) => unknown)(...args);
    }
    // A state written by the self-contained form is rewritten by the next `pulumi up`: diff reports a
    // change, and update then only stores the new form (nothing else changed). Not for providers without
    // update (the certificates): their dependents would see unknown outputs in the preview and plan a
    // replacement; their old form keeps working.
    if (methods.includes("diff") && methods.includes("update")) {
        provider.diff = async (id: string, olds: Record<string, unknown>, news: Record<string, unknown>) => {
            const d = await load().diff(id, olds, news);
            return legacy(olds) && !d.changes ? { ...d, changes: true } : d;
        };
        provider.update = async (id: string, olds: Record<string, unknown>, news: Record<string, unknown>) => {
            if (legacy(olds) && !(await load().diff(id, olds, news)).changes) return { outs: { ...olds, ...news } };
            return load().update(id, olds, news);
        };
    }
    return provider as unknown as pulumi.dynamic.ResourceProvider;
}

/** The provider methods a class implements (read where the resource is declared, not stored). */
export function methodsOf(c: { prototype: object }): (keyof Impl)[] {
    return Object.getOwnPropertyNames(c.prototype).filter((n): n is keyof Impl => n !== "constructor");
}
