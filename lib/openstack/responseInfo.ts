// Reading what a service said: its JSON body, its error explanation, its request id.

/** JSON when the body is JSON, the text otherwise, undefined when empty (204, most 202s). */
export function parseBody(text: string, headers: Headers): unknown {
    if (text === "") return undefined;
    const type = headers.get("content-type") ?? "";
    if (type.includes("json") || /^\s*[{[]/.test(text)) {
        try {
            return JSON.parse(text);
        } catch {
            return text;
        }
    }
    return text;
}

export function requestIdOf(headers: Headers): string | undefined {
    return headers.get("x-openstack-request-id") ?? headers.get("x-compute-request-id") ?? undefined;
}

const MAX_MESSAGE = 500;

function clip(s: string): string {
    const one = s.replace(/\s+/g, " ").trim();
    return one.length > MAX_MESSAGE ? `${one.slice(0, MAX_MESSAGE)}…` : one;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * The explanation inside an OpenStack error body. The services disagree on the shape:
 *   nova/cinder  {"conflictingRequest": {"code": 409, "message": "…"}}   (one key named after the fault)
 *   keystone     {"error": {"code": 401, "message": "…", "title": "Unauthorized"}}
 *   neutron      {"NeutronError": {"type": "…", "message": "…", "detail": ""}}
 *   placement    {"errors": [{"status": 409, "title": "…", "detail": "…"}]}
 *   glance, and webob's defaults, answer with text or HTML.
 */
export function serviceMessageOf(body: unknown): string | undefined {
    if (typeof body === "string") {
        const text = body.replace(/<[^>]*>/g, " ");
        return text.trim() ? clip(text) : undefined;
    }
    const obj = asRecord(body);
    if (!obj) return undefined;
    if (typeof obj.message === "string") return clip(obj.message);
    if (typeof obj.faultstring === "string") return clip(obj.faultstring);
    const errors = Array.isArray(obj.errors) ? obj.errors.map(asRecord) : [];
    const first = errors[0];
    if (first) {
        const d = first.detail ?? first.title;
        if (typeof d === "string") return clip(d);
    }
    for (const v of Object.values(obj)) {
        const inner = asRecord(v);
        if (inner && typeof inner.message === "string") return clip(inner.message);
    }
    return undefined;
}
