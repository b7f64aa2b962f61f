// Keystone v3 authentication: password or application credential in, token + catalog out.
import type { CatalogEntry } from "./catalog";
import type { CloudConfig } from "./cloudConfig";
import { AuthenticationError, OpenStackHttpError } from "./errors";
import { parseBody, requestIdOf, serviceMessageOf } from "./responseInfo";
import { send, type RetryPolicy } from "./transport";

export interface Token {
    /** The X-Subject-Token value. Never put it in a message. */
    value: string;
    issuedAt: number;
    expiresAt: number;
    catalog: CatalogEntry[];
    projectId?: string;
    userId?: string;
}

/** `http://keystone:5000`, `…/v3` and `…/v3/` all mean the v3 API root. */
export function identityBase(authUrl: string): string {
    const u = authUrl.replace(/\/+$/, "");
    return /\/v3$/.test(u) ? u : `${u}/v3`;
}

type Ref = { id: string } | { name: string };

function domainRef(id: string | undefined, name: string | undefined): Ref | undefined {
    return id ? { id } : name ? { name } : undefined;
}

/** The POST /v3/auth/tokens body. Exported for tests; it holds the secret, so never log it. */
export function authRequestBody(cloud: CloudConfig): unknown {
    const a = cloud.auth;
    if (cloud.authType === "v3applicationcredential") {
        const cred = a.applicationCredentialId
            ? { id: a.applicationCredentialId, secret: a.applicationCredentialSecret }
            : {
                  name: a.applicationCredentialName,
                  secret: a.applicationCredentialSecret,
                  user: a.userId ? { id: a.userId } : { name: a.username, domain: domainRef(a.userDomainId, a.userDomainName) },
              };
        // An application credential is bound to its project: Keystone refuses an explicit scope.
        return { auth: { identity: { methods: ["application_credential"], application_credential: cred } } };
    }
    const user = a.userId
        ? { id: a.userId, password: a.password }
        : { name: a.username, password: a.password, domain: domainRef(a.userDomainId, a.userDomainName) };
    let scope: unknown;
    if (a.projectId) scope = { project: { id: a.projectId } };
    else if (a.projectName) scope = { project: { name: a.projectName, domain: domainRef(a.projectDomainId, a.projectDomainName) } };
    else if (a.domainId || a.domainName) scope = { domain: domainRef(a.domainId, a.domainName) };
    return { auth: { identity: { methods: ["password"], password: { user } }, ...(scope ? { scope } : {}) } };
}

interface TokenBody {
    token?: {
        expires_at?: string;
        issued_at?: string;
        catalog?: CatalogEntry[];
        project?: { id?: string };
        user?: { id?: string };
    };
}

/** One authentication round trip. `onAttempt` counts each POST put on the wire. */
export async function authenticate(cloud: CloudConfig, policy: RetryPolicy, onAttempt?: () => void, signal?: AbortSignal): Promise<Token> {
    const url = `${identityBase(cloud.auth.authUrl)}/auth/tokens`;
    const res = await send(
        {
            method: "POST",
            url,
            headers: { "Content-Type": "application/json", Accept: "application/json", "User-Agent": "livemig-openstack" },
            body: JSON.stringify(authRequestBody(cloud)),
            onAttempt,
            signal,
        },
        policy,
    );
    const body = parseBody(res.text, res.headers);
    const value = res.headers.get("x-subject-token");
    if (res.status !== 201 || !value) {
        const said = serviceMessageOf(body) ?? (res.status === 201 ? "no X-Subject-Token in the response" : undefined);
        const details = {
            method: "POST",
            url,
            status: res.status,
            expected: [201],
            requestId: requestIdOf(res.headers),
            serviceMessage: `${said ? `${said} ` : ""}(${cloud.authType} credentials of cloud "${cloud.name}" from ${cloud.source})`,
        };
        throw res.status === 401 || res.status === 403 ? new AuthenticationError(details) : new OpenStackHttpError(details);
    }
    const t = (body as TokenBody).token ?? {};
    const now = Date.now();
    const expires = t.expires_at ? Date.parse(t.expires_at) : NaN;
    const issued = t.issued_at ? Date.parse(t.issued_at) : NaN;
    // Keystone's clock may differ from ours: keep its token lifetime, anchored at our clock.
    const lifetime = !Number.isNaN(expires) && !Number.isNaN(issued) ? expires - issued : 3_600_000;
    return {
        value,
        issuedAt: now,
        expiresAt: now + lifetime,
        catalog: t.catalog ?? [],
        projectId: t.project?.id,
        userId: t.user?.id,
    };
}

/**
 * Reuse a token until shortly before it expires: a request that starts with 10 s of validity left may still
 * be in flight when it lapses. The margin is a quarter of the lifetime, at most two minutes.
 */
export function tokenIsFresh(t: Token, now = Date.now()): boolean {
    const margin = Math.min(120_000, (t.expiresAt - t.issuedAt) / 4);
    return now < t.expiresAt - margin;
}
