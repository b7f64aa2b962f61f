// clouds.yaml: where openstackclient looks for it, and how one named cloud becomes a CloudConfig.
// Node modules are required inside the functions: this code runs inside Pulumi dynamic providers, whose
// closure serializer cannot capture top-level imports of built-ins or npm packages.
import { normalizeAuthType, normalizeInterface, type AuthOptions, type CloudConfig } from "./cloudConfig";
import { CloudConfigError } from "./errors";

type Env = Record<string, string | undefined>;

/** The directories openstacksdk searches, in order: ./, $XDG_CONFIG_HOME/openstack, ~/.config/openstack, /etc/openstack. */
function configDirs(env: Env, cwd: string, home: string): string[] {
    const path = require("node:path") as typeof import("node:path");
    return [
        cwd,
        path.join(env.XDG_CONFIG_HOME || path.join(home, ".config"), "openstack"),
        path.join(home, ".config", "openstack"),
        "/etc/openstack",
    ];
}

function candidates(base: "clouds" | "secure", explicit: string | undefined, env: Env, cwd: string, home: string): string[] {
    const path = require("node:path") as typeof import("node:path");
    const files: string[] = explicit ? [explicit] : [];
    for (const d of configDirs(env, cwd, home)) for (const ext of ["yaml", "yml", "json"]) files.push(path.join(d, `${base}.${ext}`));
    return [...new Set(files)];
}

/**
 * The files openstacksdk (and so openstackclient) tries, in order; the first that exists wins:
 * $OS_CLIENT_CONFIG_FILE, then clouds.yaml|yml|json in each of the config directories.
 */
export function cloudsYamlCandidates(env: Env, cwd: string, home: string): string[] {
    return candidates("clouds", env.OS_CLIENT_CONFIG_FILE, env, cwd, home);
}

/** secure.yaml sits in the same places (or at $OS_CLIENT_SECURE_FILE) and overlays clouds.yaml: secrets kept apart. */
export function secureYamlCandidates(env: Env, cwd: string, home: string): string[] {
    return candidates("secure", env.OS_CLIENT_SECURE_FILE, env, cwd, home);
}

function firstExisting(files: string[]): string | undefined {
    const fs = require("node:fs") as typeof import("node:fs");
    return files.find((f) => {
        try {
            return fs.statSync(f).isFile();
        } catch {
            return false;
        }
    });
}

type Raw = Record<string, unknown>;

function parseFile(file: string): Raw {
    const fs = require("node:fs") as typeof import("node:fs");
    const YAML = require("yaml") as typeof import("yaml");
    let doc: unknown;
    try {
        // YAML is a superset of JSON, so clouds.json parses too.
        doc = YAML.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
        // The parser's message quotes the offending line, which may be a password: name the line only.
        const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
        throw new CloudConfigError(`${file} is not valid YAML${line ? ` (near line ${line})` : ""}`);
    }
    return isRecord(doc) ? doc : {};
}

function isRecord(v: unknown): v is Raw {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** openstacksdk accepts `auth-url` as well as `auth_url`. */
function normalizeKeys(r: Raw): Raw {
    const out: Raw = {};
    for (const [k, v] of Object.entries(r)) out[k.replace(/-/g, "_")] = v;
    return out;
}

function str(v: unknown): string | undefined {
    if (v === undefined || v === null || v === "") return undefined;
    return String(v);
}

const AUTH_KEYS: Record<string, keyof AuthOptions> = {
    auth_url: "authUrl",
    username: "username",
    user_id: "userId",
    password: "password",
    user_domain_name: "userDomainName",
    user_domain_id: "userDomainId",
    project_name: "projectName",
    tenant_name: "projectName",
    project_id: "projectId",
    tenant_id: "projectId",
    project_domain_name: "projectDomainName",
    project_domain_id: "projectDomainId",
    domain_name: "domainName",
    domain_id: "domainId",
    application_credential_id: "applicationCredentialId",
    application_credential_name: "applicationCredentialName",
    application_credential_secret: "applicationCredentialSecret",
};

/** The YAML key for a field, for "missing auth.password in …" messages. */
export function yamlKeyOf(field: keyof AuthOptions): string {
    const key = Object.keys(AUTH_KEYS).find((k) => AUTH_KEYS[k] === field && !k.startsWith("tenant"));
    return `auth.${key ?? field}`;
}

export interface FoundCloud {
    config: CloudConfig;
    /** The `regions` list of the cloud, if it declares one (a requested region must be in it). */
    regions: string[];
}

/**
 * Reads cloud `name` from the first clouds.yaml found (plus secure.yaml's overlay). Throws a
 * CloudConfigError naming every place looked in, or the clouds the file does define.
 */
export function readCloudFromYaml(name: string, env: Env, candidates: string[], secureCandidates: string[]): FoundCloud {
    const file = firstExisting(candidates);
    if (!file) {
        throw new CloudConfigError(
            `cloud "${name}" was requested but no clouds.yaml was found; looked in: ${candidates.join(", ")}` +
                (env.OS_CLIENT_CONFIG_FILE ? " (OS_CLIENT_CONFIG_FILE points to a missing file)" : ""),
        );
    }
    const clouds = parseFile(file).clouds;
    const entry = isRecord(clouds) ? clouds[name] : undefined;
    if (!isRecord(entry)) {
        const known = isRecord(clouds) ? Object.keys(clouds) : [];
        throw new CloudConfigError(
            `cloud "${name}" is not defined in ${file}` +
                (known.length ? ` (it defines: ${known.join(", ")})` : " (it has no `clouds:` section)"),
        );
    }
    let cloud = normalizeKeys(entry);
    const secureFile = firstExisting(secureCandidates);
    if (secureFile) {
        const secure = parseFile(secureFile).clouds;
        const overlay = isRecord(secure) && isRecord(secure[name]) ? normalizeKeys(secure[name] as Raw) : undefined;
        if (overlay) {
            const auth = { ...(isRecord(cloud.auth) ? normalizeKeys(cloud.auth) : {}), ...(isRecord(overlay.auth) ? normalizeKeys(overlay.auth) : {}) };
            cloud = { ...cloud, ...overlay, auth };
        }
    }
    const where = `${file} (cloud ${name})`;
    if (cloud.profile !== undefined) {
        throw new CloudConfigError(`${where}: vendor profiles are not supported; write auth.auth_url and region_name out`);
    }
    const rawAuth = isRecord(cloud.auth) ? normalizeKeys(cloud.auth) : {};
    const auth: Partial<AuthOptions> = {};
    for (const [k, field] of Object.entries(AUTH_KEYS)) {
        const v = str(rawAuth[k]);
        // AUTH_KEYS lists project_name before its legacy alias tenant_name: the modern key wins.
        if (v !== undefined && auth[field] === undefined) auth[field] = v;
    }
    const regions = Array.isArray(cloud.regions)
        ? cloud.regions.map((r) => (isRecord(r) ? str(r.name) : str(r))).filter((r): r is string => r !== undefined)
        : [];
    return {
        config: {
            name,
            source: file,
            authType: normalizeAuthType(str(cloud.auth_type), where),
            auth: { ...auth, authUrl: auth.authUrl ?? "" },
            regionName: str(cloud.region_name) ?? regions[0],
            interface: normalizeInterface(str(cloud.interface) ?? str(cloud.endpoint_type), where),
        },
        regions,
    };
}
