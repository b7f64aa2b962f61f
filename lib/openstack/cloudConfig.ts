// What a session needs to authenticate, whichever way it was configured (clouds.yaml or OS_* variables).
// The shape follows openstacksdk's cloud config: `auth` holds what Keystone gets, the rest picks endpoints.
import { CloudConfigError } from "./errors";

export type AuthType = "password" | "v3applicationcredential";
export type EndpointInterface = "public" | "internal" | "admin";

export interface AuthOptions {
    /** Keystone's URL, with or without the trailing `/v3`. */
    authUrl: string;
    username?: string;
    userId?: string;
    password?: string;
    userDomainName?: string;
    userDomainId?: string;
    projectName?: string;
    projectId?: string;
    projectDomainName?: string;
    projectDomainId?: string;
    /** Domain scope instead of a project (no service catalog for Nova then; rarely what you want). */
    domainName?: string;
    domainId?: string;
    applicationCredentialId?: string;
    applicationCredentialName?: string;
    applicationCredentialSecret?: string;
}

export interface CloudConfig {
    /** The cloud's name in clouds.yaml, or "envvars" when it came from OS_* variables. */
    name: string;
    /** Where it came from, for messages: "/etc/openstack/clouds.yaml" or "OS_* environment variables". */
    source: string;
    authType: AuthType;
    auth: AuthOptions;
    /** Region whose endpoints are used; default: the first endpoint of each service. */
    regionName?: string;
    /** Endpoint interface from the catalog; default public. */
    interface: EndpointInterface;
}

/** Maps the spellings openstacksdk accepts for an interface ("publicURL", "public") onto ours. */
export function normalizeInterface(value: string | undefined, where: string): EndpointInterface {
    if (value === undefined || value === "") return "public";
    const v = value.toLowerCase().replace(/url$/, "");
    if (v === "public" || v === "internal" || v === "admin") return v;
    throw new CloudConfigError(`${where}: interface "${value}" is not one of public, internal, admin`);
}

/** Maps auth_type spellings onto the two we implement; anything else is refused by name. */
export function normalizeAuthType(value: string | undefined, where: string): AuthType {
    const v = (value ?? "password").toLowerCase();
    if (v === "password" || v === "v3password") return "password";
    if (v === "v3applicationcredential" || v === "applicationcredential" || v === "application_credential") {
        return "v3applicationcredential";
    }
    throw new CloudConfigError(
        `${where}: auth_type "${value}" is not supported (use password or v3applicationcredential)`,
    );
}

/** Every problem with a config's credentials at once, so the user fixes them in one go. */
export function missingCredentials(c: CloudConfig, names: (field: keyof AuthOptions) => string): string[] {
    const a = c.auth;
    const missing: string[] = [];
    if (!a.authUrl) missing.push(names("authUrl"));
    if (c.authType === "password") {
        if (!a.username && !a.userId) missing.push(`${names("username")} or ${names("userId")}`);
        if (!a.password) missing.push(names("password"));
        if (a.username && !a.userId && !a.userDomainName && !a.userDomainId) {
            missing.push(`${names("userDomainName")} or ${names("userDomainId")} (a user name needs its domain)`);
        }
        if (!a.projectId && !a.projectName && !a.domainId && !a.domainName) {
            missing.push(`${names("projectName")} or ${names("projectId")} (a token without project has no catalog)`);
        }
        if (a.projectName && !a.projectId && !a.projectDomainName && !a.projectDomainId) {
            missing.push(`${names("projectDomainName")} or ${names("projectDomainId")} (a project name needs its domain)`);
        }
    } else {
        if (!a.applicationCredentialSecret) missing.push(names("applicationCredentialSecret"));
        if (!a.applicationCredentialId) {
            if (!a.applicationCredentialName) {
                missing.push(`${names("applicationCredentialId")} or ${names("applicationCredentialName")}`);
            } else if (!a.userId && !a.username) {
                missing.push(`${names("userId")} or ${names("username")} (an application credential name needs its user)`);
            } else if (a.username && !a.userId && !a.userDomainName && !a.userDomainId) {
                missing.push(`${names("userDomainName")} or ${names("userDomainId")} (a user name needs its domain)`);
            }
        }
    }
    return missing;
}
