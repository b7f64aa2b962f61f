// An authenticated conversation with one cloud: token reuse, one re-authentication on 401, endpoint
// lookup in the catalog, microversion headers, and typed errors for unexpected statuses.
//
// Credentials and the token live in non-enumerable properties: they do not show up in util.inspect or
// JSON.stringify, so a logged session cannot leak them. (Not ES `#private` fields: Pulumi's closure
// serializer emits methods one by one, and `#x` outside its class body is a syntax error.)
import { findEndpoint } from "./catalog";
import type { CloudConfig } from "./cloudConfig";
import { AuthenticationError, NotFoundError, OpenStackHttpError } from "./errors";
import { authenticate, identityBase, tokenIsFresh, type Token } from "./keystone";
import { parseBody, requestIdOf, serviceMessageOf } from "./responseInfo";
import { DEFAULT_RETRY, send, type RetryPolicy } from "./transport";

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
    body?: unknown;
    /** e.g. "2.30"; sent as `OpenStack-API-Version: <service> 2.30` (and Nova's legacy header). */
    microversion?: string;
    query?: Query;
    /** Statuses that count as success; default any 2xx. */
    okStatus?: number[];
    /** Extra headers (e.g. X-Subject-Token); never put secrets here that must not reach the service. */
    headers?: Record<string, string>;
    signal?: AbortSignal;
}

export interface Reply<T> {
    status: number;
    body: T;
    headers: Headers;
}

export interface SessionStats {
    /** Requests put on the wire to services (retries included; Keystone authentications not). */
    requests: number;
    /** POSTs to Keystone's /auth/tokens. */
    authentications: number;
}

/** The name a service uses in OpenStack-API-Version (Cinder calls itself "volume" there). */
function microversionService(service: string): string {
    if (service === "block-storage" || service.startsWith("volume")) return "volume";
    return service;
}

export function buildUrl(base: string, path: string, query?: Query): string {
    const url = /^https?:\/\//.test(path) ? new URL(path) : new URL(base.replace(/\/+$/, "") + (path.startsWith("/") ? path : `/${path}`));
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
}

export class OpenStackSession {
    // Every field is assigned in the constructor, none by an initializer: Pulumi's closure serializer
    // keeps only the constructor's body, so initializers would vanish in a dynamic provider.
    readonly stats: SessionStats;
    readonly retry: RetryPolicy;
    readonly cloudName: string;
    declare private cloud: CloudConfig;
    declare private token?: Token;
    declare private pending?: Promise<Token>;

    constructor(cloud: CloudConfig, opts: { retry?: Partial<RetryPolicy> } = {}) {
        for (const [key, value] of [["cloud", cloud], ["token", undefined], ["pending", undefined]] as const) {
            Object.defineProperty(this, key, { value, enumerable: false, writable: true });
        }
        this.stats = { requests: 0, authentications: 0 };
        this.cloudName = cloud.name;
        this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    }

    /** A valid token, authenticating when there is none or it is about to expire. Concurrent callers share one. */
    async getToken(): Promise<string> {
        return (await this.currentToken()).value;
    }

    private async currentToken(): Promise<Token> {
        if (this.token && tokenIsFresh(this.token)) return this.token;
        let pending = this.pending;
        if (!pending) {
            // Shared by every caller waiting for it, so no caller's AbortSignal may cancel it; the
            // transport's per-request timeout bounds it instead.
            pending = authenticate(this.cloud, this.retry, () => this.stats.authentications++)
                .then((t) => (this.token = t))
                .finally(() => (this.pending = undefined));
            this.pending = pending;
        }
        return pending;
    }

    /** Forget `token` (if it is still the current one) so the next call authenticates again. */
    private invalidate(token: Token): void {
        if (this.token === token) this.token = undefined;
    }

    /** The project the token is scoped to. */
    async projectId(): Promise<string | undefined> {
        return (await this.currentToken()).projectId;
    }

    /** The catalog URL of `service` (compute, volumev3/block-storage, image, network, identity) for this cloud's interface and region. */
    async endpoint(service: string): Promise<string> {
        const token = await this.currentToken();
        if (service === "identity" && !token.catalog.some((e) => e.type === "identity")) return identityBase(this.cloud.auth.authUrl);
        return findEndpoint(token.catalog, service, this.cloud.interface, this.cloud.regionName);
    }

    async request<T = unknown>(service: string, method: string, path: string, opts: RequestOptions = {}): Promise<Reply<T>> {
        const url = buildUrl(await this.endpoint(service), path, opts.query);
        const headers: Record<string, string> = { Accept: "application/json", "User-Agent": "livemig-openstack", ...opts.headers };
        if (opts.body !== undefined) headers["Content-Type"] = "application/json";
        if (opts.microversion) {
            headers["OpenStack-API-Version"] = `${microversionService(service)} ${opts.microversion}`;
            if (service === "compute") headers["X-OpenStack-Nova-API-Version"] = opts.microversion;
        }
        const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);

        // Exactly one re-authentication per request: a token revoked or expired early is replaced once;
        // a fresh token refused again means the credentials lack access, and retrying would not help.
        for (let reauthenticated = false; ; reauthenticated = true) {
            const token = await this.currentToken();
            const res = await send(
                { method, url, headers: { ...headers, "X-Auth-Token": token.value }, body, signal: opts.signal, onAttempt: () => this.stats.requests++ },
                this.retry,
            );
            const parsed = parseBody(res.text, res.headers);
            const ok = opts.okStatus ? opts.okStatus.includes(res.status) : res.status >= 200 && res.status < 300;
            if (ok) return { status: res.status, body: parsed as T, headers: res.headers };
            if (res.status === 401 && !reauthenticated) {
                this.invalidate(token);
                continue;
            }
            const details = {
                method,
                url,
                status: res.status,
                expected: opts.okStatus ?? [],
                requestId: requestIdOf(res.headers),
                serviceMessage: serviceMessageOf(parsed),
            };
            if (res.status === 404) throw new NotFoundError(details);
            if (res.status === 401) throw new AuthenticationError(details);
            throw new OpenStackHttpError(details);
        }
    }
}
