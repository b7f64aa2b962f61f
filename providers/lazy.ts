// What a dynamic resource stores of its provider. The engine keeps every dynamic resource's provider in
// the state as module text (`__provider`), which its provider process loads. `pulumi.dynamic.Resource`
// makes that text by serializing the provider object with everything it reaches: the project's modules,
// stored whole (100–150 KB per resource), and the serializer itself costs the program ~0.6 s to load plus
// ~0.1 s per provider. Here the text is written out directly: a few lines (~0.4 KB) that hand the module
// and class names to providers/lazyLoad.ts, which loads the implementation when a method is first called.
// Both are named relative to the program's directory, which is also where the engine starts the provider
// process (`pulumi-resource-pulumi-nodejs` runs ./node_modules/@pulumi/pulumi/cmd/dynamic-provider), so the
// stored form names no path of the machine that wrote it: another clone in another directory works on
// the same state.
import * as pulumi from "./sdk";
import * as path from "node:path";
import { PROVIDER_FORM } from "./lazyLoad";

export { PROVIDER_FORM };

type Impl = Required<pulumi.dynamic.ResourceProvider>;
type Method = keyof Impl;

/** A provider as the state stores it: module text whose `handler()` returns the provider object. */
export interface LazyProvider {
    readonly text: string;
}

/**
 * The provider of the class `exportName` in the module `file` (pass `__filename`). `methods` are the ones
 * the class implements: the engine treats a missing check/diff/read differently from a present one.
 */
export function lazyProvider(file: string, exportName: string, methods: readonly Method[]): LazyProvider {
    const relative = (f: string) => path.relative(process.cwd(), f.replace(/\.[cm]?[jt]s$/, "")).split(path.sep).join("/");
    const module = relative(file);
    // A state written by an older form is rewritten by the next `pulumi up` (see lazyLoad.ts). Not for
    // providers without update (the certificates): their dependents would see unknown outputs in the
    // preview and plan a replacement; their old form keeps working.
    const upgrades = methods.includes("diff") && methods.includes("update");
    // The sources are TypeScript: providers/registerTs.js compiles them on require (sucrase, cached), and is
    // registered once per process (older texts, which register sucrase itself, share the flag).
    const text = `// ${PROVIDER_FORM}: ${exportName} of ${module}
exports.handler = function () {
  const r = (globalThis.__livemigProviders = globalThis.__livemigProviders || {}), p = require("path");
  if (!r["ts#registered"]) { require(p.resolve(process.cwd(), ${JSON.stringify(relative(path.join(__dirname, "registerTs")))})); r["ts#registered"] = true; }
  return require(p.resolve(process.cwd(), ${JSON.stringify(relative(path.join(__dirname, "lazyLoad")))}))
    .loadProvider(${JSON.stringify(module)}, ${JSON.stringify(exportName)}, ${JSON.stringify(methods)}, ${upgrades});
};
`;
    return { text };
}

/** The provider methods a class implements (read where the resource is declared, not stored). */
export function methodsOf(c: { prototype: object }): Method[] {
    return Object.getOwnPropertyNames(c.prototype).filter((n): n is Method => n !== "constructor");
}

/**
 * A dynamic resource of this project: what `pulumi.dynamic.Resource` registers (the type
 * `pulumi-nodejs:dynamic/<module>:<type>`, served by the engine's Node.js dynamic-provider plugin), with
 * the lazy provider's text as its `__provider`.
 */
export class LazyResource extends pulumi.CustomResource {
    constructor(provider: LazyProvider, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions | undefined, module: string, type: string) {
        super(`pulumi-nodejs:dynamic/${module}:${type}`, name, { ...props, __provider: provider.text }, opts);
    }
}
