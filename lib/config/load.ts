// Turns the raw stack config (what Pulumi hands the program) into a validated StackConfig, or into one
// error that lists every problem, path-first. Pure: no Pulumi imports, so it is tested directly.
import { z } from "zod";
import { stackConfigSchema, type StackConfig } from "./schema";

export interface ConfigProblem {
    /** Where, as the user writes it with `pulumi config set --path`: `hosts[1].address`. */
    path: string;
    message: string;
}

export class ConfigError extends Error {
    constructor(
        readonly stack: string,
        readonly problems: ConfigProblem[],
    ) {
        super(
            `the config of stack "${stack}" has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was changed:\n` +
                problems.map((p) => `  ✖ ${p.message}\n    → at ${p.path}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** `["hosts", 1, "address"]` → `hosts[1].address` */
export function formatPath(path: readonly PropertyKey[]): string {
    let out = "";
    for (const seg of path) {
        out += typeof seg === "number" ? `[${seg}]` : out === "" ? String(seg) : `.${String(seg)}`;
    }
    return out === "" ? "(the livemig config as a whole)" : out;
}

/** The keys an object accepts at `path` inside `schema`, to say what is allowed next to an unknown key. */
function allowedKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
    let s: z.core.$ZodType = schema;
    const unwrap = () => {
        for (;;) {
            const def = s._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
            if ((def.type === "optional" || def.type === "default" || def.type === "nullable") && def.innerType) s = def.innerType;
            else if (def.type === "pipe" && def.in) s = def.in;
            else return;
        }
    };
    for (const seg of path) {
        unwrap();
        const def = s._zod.def as { type: string; element?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType> };
        if (def.type === "array" && typeof seg === "number" && def.element) s = def.element;
        else if (def.type === "object" && typeof seg === "string" && def.shape?.[seg]) s = def.shape[seg];
        else return [];
    }
    unwrap();
    const def = s._zod.def as { type: string; shape?: Record<string, unknown> };
    return def.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

function toProblems(error: z.ZodError): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const issue of error.issues) {
        if (issue.code === "unrecognized_keys") {
            const allowed = allowedKeysAt(stackConfigSchema, issue.path);
            for (const key of issue.keys) {
                problems.push({
                    path: formatPath([...issue.path, key]),
                    message: `unknown key ${JSON.stringify(key)}; allowed here: ${allowed.join(", ")}`,
                });
            }
        } else {
            problems.push({ path: formatPath(issue.path), message: issue.message });
        }
    }
    return problems;
}

/** Values that must be stored with --secret: where they are (`fenceDevices[0].password`), and how to set one. */
function secretValues(input: Record<string, unknown>): { key: string; path: string; how: string }[] {
    const at = (v: unknown, ...keys: (string | number)[]) => keys.reduce<unknown>((o, k) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), v);
    const found: { key: string; path: string; how: string }[] = [];
    if (at(input, "ssh", "privateKey") !== undefined) found.push({ key: "ssh", path: "ssh.privateKey", how: "pulumi config set --secret --path ssh.privateKey < key" });
    if (at(input, "libvirt", "sasl", "password") !== undefined) {
        found.push({ key: "libvirt", path: "libvirt.sasl.password", how: "pulumi config set --secret --path libvirt.sasl.password" });
    }
    if (at(input, "ceph", "key") !== undefined) found.push({ key: "ceph", path: "ceph.key", how: "pulumi config set --secret --path ceph.key" });
    const devices = Array.isArray(input.fenceDevices) ? input.fenceDevices : [];
    devices.forEach((_, i) => {
        if (at(devices, i, "password") !== undefined) {
            found.push({ key: "fenceDevices", path: `fenceDevices[${i}].password`, how: `pulumi config set --secret --path 'fenceDevices[${i}].password'` });
        }
    });
    return found;
}

/**
 * Validates the `<namespace>:*` keys of a stack's config.
 * @param raw every config key as Pulumi gives it (`livemig:hosts` → JSON text or plain text)
 * @param isSecret whether a key was set with --secret
 */
export function parseStackConfig(
    stack: string,
    namespace: string,
    raw: Record<string, string>,
    isSecret: (key: string) => boolean,
): StackConfig {
    const input: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(raw)) {
        const [ns, name] = key.split(":", 2);
        if (ns !== namespace || name === undefined) continue;
        try {
            input[name] = JSON.parse(text);
        } catch {
            input[name] = text; // a plain string value
        }
    }
    const result = stackConfigSchema.safeParse(input);
    const problems = result.success ? [] : toProblems(result.error);
    for (const { key, path, how } of secretValues(input)) {
        if (!isSecret(`${namespace}:${key}`)) problems.push({ path, message: `must be a secret: ${how} (then remove the clear-text value)` });
    }
    if (problems.length > 0 || !result.success) throw new ConfigError(stack, problems);
    return result.data;
}
