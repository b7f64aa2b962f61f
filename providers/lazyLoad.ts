// The other half of providers/lazy.ts: what a dynamic resource's stored provider text calls, in the
// engine's dynamic-provider process, to get its provider object. Kept here, once, rather than in every
// resource's state (where it made ~2 KB of each resource's inputs and again of its outputs).
// Plain Node.js only: it runs before anything of the project is loaded.
import * as path from "node:path";

/** Marks the stored form; a resource whose state holds another (an older form) is rewritten once. */
export const PROVIDER_FORM = "livemig-lazy-provider-2";

type Provider = Record<string, (...args: unknown[]) => unknown>;
type Registry = Record<string, Provider | boolean>;

/**
 * The provider object for the class `exportName` of `module` (relative to the program's directory, where
 * the engine starts the provider process): each of `methods` loads the implementation on first use, one
 * instance per process. With `upgrades`, a state written by an older form reports a change in diff, and
 * update then only stores the new form (nothing else changed): the next `pulumi up` rewrites it.
 */
export function loadProvider(module: string, exportName: string, methods: string[], upgrades: boolean): Provider {
    const registry = ((globalThis as { __livemigProviders?: Registry }).__livemigProviders ??= {});
    const key = `${module}#${exportName}`;
    const load = (): Provider => {
        if (!registry[key]) {
            const Class = (require(path.resolve(process.cwd(), module)) as Record<string, unknown>)[exportName];
            if (typeof Class !== "function") throw new Error(`provider ${exportName} not found in ${module} under ${process.cwd()}`);
            registry[key] = new (Class as new () => Provider)();
        }
        return registry[key] as Provider;
    };
    const provider: Provider = {};
    for (const m of methods) provider[m] = (...args) => { const impl = load(); return impl[m]!.apply(impl, args); };
    if (upgrades) {
        const older = (olds: { __provider?: unknown }) => typeof olds.__provider === "string" && !olds.__provider.includes(PROVIDER_FORM);
        const diff = async (id: unknown, olds: Record<string, unknown>, news: unknown) => (await load().diff!(id, olds, news)) as { changes?: boolean };
        provider.diff = async (id, olds, news) => {
            const d = await diff(id, olds as Record<string, unknown>, news);
            return older(olds as Record<string, unknown>) && !d.changes ? { ...d, changes: true } : d;
        };
        provider.update = async (id, olds, news) => {
            const o = olds as Record<string, unknown>;
            if (older(o) && !(await diff(id, o, news)).changes) return { outs: { ...o, ...(news as Record<string, unknown>) } };
            return load().update!(id, olds, news);
        };
    }
    return provider;
}
