// Following "next" links, bounded: a cloud with more pages than the bound is an error, not an endless loop.
import { OpenStackError } from "./errors";
import type { Query, OpenStackSession } from "./session";

export interface ListOptions {
    query?: Query;
    microversion?: string;
    /** Stop (with an error) after this many pages; default 100. */
    maxPages?: number;
}

type Body = Record<string, unknown>;

/** Nova/Cinder: `<key>_links: [{rel: "next", href}]`; Glance: `next: "/v2/images?marker=…"`. */
function nextHref(body: Body, key: string): string | undefined {
    const links = body[`${key}_links`];
    if (Array.isArray(links)) {
        const next = links.find((l: { rel?: string; href?: string }) => l?.rel === "next") as { href?: string } | undefined;
        if (next?.href) return next.href;
    }
    return typeof body.next === "string" ? body.next : undefined;
}

/**
 * All items of a paginated list. The next link's query (marker, limit) is re-applied to our own endpoint
 * rather than following its href: behind a proxy the service may advertise an address we cannot reach.
 */
export async function listAll<T>(session: OpenStackSession, service: string, path: string, key: string, opts: ListOptions = {}): Promise<T[]> {
    const maxPages = opts.maxPages ?? 100;
    const items: T[] = [];
    let query: Query = { ...opts.query };
    for (let page = 0; page < maxPages; page++) {
        const { body } = await session.request<Body>(service, "GET", path, { query, microversion: opts.microversion });
        const got = (body?.[key] as T[] | undefined) ?? [];
        items.push(...got);
        const href = nextHref(body ?? {}, key);
        if (!href || got.length === 0) return items;
        const params = new URL(href, "http://placeholder").searchParams;
        query = { ...query };
        for (const [k, v] of params) query[k] = v;
    }
    throw new OpenStackError(`listing ${path} returned more than ${maxPages} pages; narrow the query`);
}
