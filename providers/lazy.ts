// What a dynamic resource stores of its provider. The engine keeps every dynamic resource's provider in
// the state as module text (`__provider`), which its provider process loads. `pulumi.dynamic.Resource`
// makes that text by serializing the provider object with everything it reaches: the project's modules,
// stored whole (100–150 KB per resource), and the serializer itself costs the program ~0.6 s to load plus
// ~0.1 s per provider. Here the text is written out directly: a few lines that load the implementation
// from the project when a method is first called. It names the module relative to the program's
// directory, which is also where the engine starts the provider process (`pulumi-resource-pulumi-nodejs`
// runs ./node_modules/@pulumi/pulumi/cmd/dynamic-provider), so the stored form names no path of the
// machine that wrote it: another clone in another directory works on the same state.
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";

/** Marks the stored form; a resource whose state holds another (the self-contained kind) is rewritten once. */
export const PROVIDER_FORM = "livemig-lazy-provider-1";

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
    const module = path.relative(process.cwd(), file.replace(/\.[cm]?[jt]s$/, "")).split(path.sep).join("/");
    // A state written by the self-contained form is rewritten by the next `pulumi up`: diff reports a
    // change, and update then only stores the new form (nothing else changed). Not for providers without
    // update (the certificates): their dependents would see unknown outputs in the preview and plan a
    // replacement; their old form keeps working.
    const upgrades = methods.includes("diff") && methods.includes("update");
    const text = `// ${PROVIDER_FORM}: the provider ${exportName}, loaded from the project (${module}) on first use.
exports.handler = function () {
  const path = require("path");
  const module = ${JSON.stringify(module)};
  const exportName = ${JSON.stringify(exportName)};
  const form = ${JSON.stringify(PROVIDER_FORM)};
  // One instance per process, kept on globalThis (each resource's text is loaded on its own).
  const load = function () {
    const registry = (globalThis.__livemigProviders = globalThis.__livemigProviders || {});
    const key = module + "#" + exportName;
    if (!registry[key]) {
      // The sources are TypeScript: sucrase compiles them on require (it strips types, no type check).
      if (!registry["ts#registered"]) { require("sucrase/register/ts"); registry["ts#registered"] = true; }
      const Class = require(path.resolve(process.cwd(), module))[exportName];
      if (typeof Class !== "function") throw new Error("provider " + exportName + " not found in " + module + " under " + process.cwd());
      registry[key] = new Class();
    }
    return registry[key];
  };
  const provider = {};
  ${JSON.stringify(methods)}.forEach(function (m) {
    provider[m] = function () { const impl = load(); return impl[m].apply(impl, arguments); };
  });
  const legacy = function (olds) { return typeof olds.__provider === "string" && olds.__provider.indexOf(form) < 0; };
  if (${upgrades}) {
    provider.diff = async function (id, olds, news) {
      const d = await load().diff(id, olds, news);
      return legacy(olds) && !d.changes ? Object.assign({}, d, { changes: true }) : d;
    };
    provider.update = async function (id, olds, news) {
      if (legacy(olds) && !(await load().diff(id, olds, news)).changes) return { outs: Object.assign({}, olds, news) };
      return load().update(id, olds, news);
    };
  }
  return provider;
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
