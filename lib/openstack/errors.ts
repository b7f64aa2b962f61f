// Typed errors of the OpenStack client: one class per failure kind, so callers branch on `instanceof`
// instead of parsing messages. They carry only plain strings and numbers: never a request, a session or
// a cloud config, because those hold credentials and errors end up in logs and Pulumi's state.

/** Base of every error this client throws. */
export class OpenStackError extends Error {
    constructor(message: string, options?: ErrorOptions) {
        super(message, options);
        // Inside a dynamic provider, Pulumi's closure serialization turns classes into functions: there
        // `super()` sets no message and `new.target` is undefined. Set both by hand.
        this.message = message;
        this.name = new.target?.name ?? "OpenStackError";
    }
}

/** clouds.yaml / OS_* could not be turned into credentials; says what is missing and where we looked. */
// Subclasses spell out their constructors: a serialized class without one would not call its parent.
export class CloudConfigError extends OpenStackError {
    constructor(message: string) {
        super(message);
    }
}

/** The caller asked for something this cloud or this client cannot do (checked before any request). */
export class UnsupportedError extends OpenStackError {
    constructor(message: string) {
        super(message);
    }
}

/** The HTTP request never got a response (refused, reset, DNS, per-request timeout). */
export class OpenStackConnectionError extends OpenStackError {
    constructor(
        readonly method: string,
        readonly url: string,
        readonly reason: string,
    ) {
        super(`Could not reach [${method} ${url}]: ${reason}`);
    }
}

export interface HttpErrorDetails {
    method: string;
    url: string;
    status: number;
    /** Status codes that would have been accepted; empty means "any 2xx". */
    expected: number[];
    /** x-openstack-request-id / x-compute-request-id, for grepping the service's log. */
    requestId?: string;
    /** The service's own explanation, taken from its JSON error body. */
    serviceMessage?: string;
}

/**
 * A service answered with an unexpected status. The message reads like gophercloud's
 * `Expected HTTP response code [202] when accessing [POST …], but got 409 instead: …`.
 */
export class OpenStackHttpError extends OpenStackError {
    readonly method: string;
    readonly url: string;
    readonly status: number;
    readonly expected: number[];
    readonly requestId?: string;
    readonly serviceMessage?: string;

    constructor(d: HttpErrorDetails) {
        const expected = d.expected.length > 0 ? `[${d.expected.join(" ")}]` : "[2xx]";
        const why = d.serviceMessage ? `: ${d.serviceMessage}` : "";
        const req = d.requestId ? ` (request ${d.requestId})` : "";
        super(`Expected HTTP response code ${expected} when accessing [${d.method} ${d.url}], but got ${d.status} instead${why}${req}`);
        this.method = d.method;
        this.url = d.url;
        this.status = d.status;
        this.expected = d.expected;
        this.requestId = d.requestId;
        this.serviceMessage = d.serviceMessage;
    }
}

/** 404: the resource does not exist (or is not visible to these credentials). */
export class NotFoundError extends OpenStackHttpError {
    constructor(d: HttpErrorDetails) {
        super(d);
    }
}

/** Keystone refused the credentials, or a service kept refusing a freshly issued token. */
export class AuthenticationError extends OpenStackHttpError {
    constructor(d: HttpErrorDetails) {
        super(d);
    }
}

/** A wait ran out of time; `lastState` says what was last seen, so the reader knows how far it got. */
export class WaitTimeoutError extends OpenStackError {
    constructor(
        readonly what: string,
        readonly timeoutMs: number,
        readonly lastState: string,
        /** What was done about it (e.g. "aborted migration 12: the server is ACTIVE on compute-1"). */
        readonly aftermath?: string,
    ) {
        super(
            `Timed out after ${formatDuration(timeoutMs)} waiting for ${what}; last observed: ${lastState}` +
                (aftermath ? `. ${aftermath}` : ""),
        );
    }
}

/** A wait stopped early because the observed state can no longer turn into the wanted one. */
export class WaitFailedError extends OpenStackError {
    constructor(
        readonly what: string,
        readonly reason: string,
    ) {
        super(`Gave up waiting for ${what}: ${reason}`);
    }
}

/** The resource being waited on or acted upon disappeared (404 where it used to exist). */
export class ResourceGoneError extends OpenStackError {
    constructor(
        readonly kind: string,
        readonly id: string,
        readonly during: string,
    ) {
        super(`${kind} ${id} no longer exists (it went away while ${during})`);
    }
}

export interface MigrationFailure {
    kind: "live-migration" | "evacuation";
    serverId: string;
    /** 0 when Nova never recorded a migration (it failed before the conductor created one). */
    migrationId: number;
    /** The migration record's status (error, failed, cancelled …), or "rejected" when the API refused the request. */
    status: string;
    source: string;
    destination?: string;
    /** Where the server is after the failure, and in what state. */
    serverHost?: string;
    serverStatus?: string;
    /** Nova's own words: the API's refusal, or the server's fault message. */
    reason?: string;
}

/** A live migration or evacuation ended without moving the server. Says where the server is now. */
export class MigrationFailedError extends OpenStackError {
    readonly kind: MigrationFailure["kind"];
    readonly serverId: string;
    readonly migrationId: number;
    readonly status: string;
    readonly source: string;
    readonly destination?: string;
    readonly serverHost?: string;
    readonly serverStatus?: string;
    readonly reason?: string;

    constructor(f: MigrationFailure, options?: ErrorOptions) {
        const rec = f.migrationId > 0 ? `${f.kind} ${f.migrationId}` : `${f.kind} (no migration record)`;
        const where =
            f.serverHost !== undefined
                ? `the server is ${f.serverStatus ?? "in an unknown state"} on ${f.serverHost}`
                : "the server's host is unknown";
        const outcome = f.status === "rejected" ? "was rejected by Nova" : `ended with status ${f.status}`;
        super(
            `${rec} of server ${f.serverId} from ${f.source} to ${f.destination ?? "a scheduler-chosen host"} ${outcome}` +
                `${f.reason ? `: ${f.reason}` : ""}; ${where}`,
            options,
        );
        this.kind = f.kind;
        this.serverId = f.serverId;
        this.migrationId = f.migrationId;
        this.status = f.status;
        this.source = f.source;
        this.destination = f.destination;
        this.serverHost = f.serverHost;
        this.serverStatus = f.serverStatus;
        this.reason = f.reason;
    }
}

/** "90 s", "1.5 s", "250 ms": durations in messages are read by people. */
export function formatDuration(ms: number): string {
    if (ms < 1000) return `${Math.round(ms)} ms`;
    const s = ms / 1000;
    return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
