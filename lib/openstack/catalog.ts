// The service catalog that comes with a Keystone token, and choosing one endpoint from it.
import type { EndpointInterface } from "./cloudConfig";
import { OpenStackError } from "./errors";

export interface CatalogEndpoint {
    interface: string;
    region?: string;
    region_id?: string;
    url: string;
}

export interface CatalogEntry {
    type: string;
    name?: string;
    endpoints: CatalogEndpoint[];
}

/** No endpoint matches; the message lists what the catalog does offer. */
export class EndpointNotFoundError extends OpenStackError {
    constructor(message: string) {
        super(message);
    }
}

/**
 * Service types that name the same API (the service-types-authority's aliases): clouds register Cinder as
 * `volumev3` or `block-storage`, older ones as `volume`.
 */
const ALIASES: Record<string, string[]> = {
    "block-storage": ["block-storage", "volumev3", "volume"],
    volumev3: ["volumev3", "block-storage", "volume"],
    volume: ["volume", "volumev3", "block-storage"],
};

export function serviceTypesFor(service: string): string[] {
    return ALIASES[service] ?? [service];
}

export function findEndpoint(catalog: CatalogEntry[], service: string, iface: EndpointInterface, region?: string): string {
    for (const type of serviceTypesFor(service)) {
        for (const entry of catalog.filter((e) => e.type === type)) {
            const ep = entry.endpoints.find(
                (e) => e.interface === iface && (region === undefined || e.region_id === region || e.region === region),
            );
            if (ep) return ep.url.replace(/\/+$/, "");
        }
    }
    const offered = catalog
        .flatMap((e) => e.endpoints.map((ep) => `${e.type} ${ep.interface}@${ep.region_id ?? ep.region ?? "?"}`))
        .sort()
        .join(", ");
    throw new EndpointNotFoundError(
        `the service catalog has no ${iface} endpoint of type ${serviceTypesFor(service).join("/")}` +
            `${region ? ` in region ${region}` : ""}; it offers: ${offered || "nothing (unscoped token?)"}`,
    );
}
