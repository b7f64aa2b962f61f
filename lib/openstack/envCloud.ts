// OS_* variables → CloudConfig, the way openstackclient reads them when no cloud is named.
import { normalizeAuthType, normalizeInterface, type AuthOptions, type CloudConfig } from "./cloudConfig";

type Env = Record<string, string | undefined>;

/** Each field and the variables that set it, modern name first (legacy OS_TENANT_* still seen in old rc files). */
const ENV_KEYS: Record<keyof AuthOptions, string[]> = {
    authUrl: ["OS_AUTH_URL"],
    username: ["OS_USERNAME"],
    userId: ["OS_USER_ID"],
    password: ["OS_PASSWORD"],
    userDomainName: ["OS_USER_DOMAIN_NAME"],
    userDomainId: ["OS_USER_DOMAIN_ID"],
    projectName: ["OS_PROJECT_NAME", "OS_TENANT_NAME"],
    projectId: ["OS_PROJECT_ID", "OS_TENANT_ID"],
    projectDomainName: ["OS_PROJECT_DOMAIN_NAME"],
    projectDomainId: ["OS_PROJECT_DOMAIN_ID"],
    domainName: ["OS_DOMAIN_NAME"],
    domainId: ["OS_DOMAIN_ID"],
    applicationCredentialId: ["OS_APPLICATION_CREDENTIAL_ID"],
    applicationCredentialName: ["OS_APPLICATION_CREDENTIAL_NAME"],
    applicationCredentialSecret: ["OS_APPLICATION_CREDENTIAL_SECRET"],
};

/** The variable that sets a field, for "OS_PASSWORD is missing" messages. */
export function envVarOf(field: keyof AuthOptions): string {
    return ENV_KEYS[field][0]!;
}

function get(env: Env, names: string[]): string | undefined {
    for (const n of names) {
        const v = env[n];
        if (v !== undefined && v !== "") return v;
    }
    return undefined;
}

/** True when any variable that configures credentials is set (so "incomplete" beats "nothing configured"). */
export function hasAuthEnv(env: Env): boolean {
    return Object.values(ENV_KEYS).some((names) => get(env, names) !== undefined) || get(env, ["OS_AUTH_TYPE"]) !== undefined;
}

export function cloudFromEnv(env: Env): CloudConfig {
    const auth: Partial<AuthOptions> = {};
    for (const [field, names] of Object.entries(ENV_KEYS) as [keyof AuthOptions, string[]][]) {
        const v = get(env, names);
        if (v !== undefined) auth[field] = v;
    }
    // openstackclient defaults to password; an rc file from Horizon's "application credential" download
    // sets OS_AUTH_TYPE, but a hand-written one often forgets it: a secret without a password says enough.
    const declared = get(env, ["OS_AUTH_TYPE"]);
    const inferred = !declared && auth.applicationCredentialSecret && !auth.password ? "v3applicationcredential" : declared;
    return {
        name: "envvars",
        source: "OS_* environment variables",
        authType: normalizeAuthType(inferred, "OS_AUTH_TYPE"),
        auth: { ...auth, authUrl: auth.authUrl ?? "" },
        regionName: get(env, ["OS_REGION_NAME"]),
        interface: normalizeInterface(get(env, ["OS_INTERFACE", "OS_ENDPOINT_TYPE"]), "OS_INTERFACE"),
    };
}
