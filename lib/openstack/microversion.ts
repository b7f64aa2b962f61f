// Microversions ("2.30") compared as numbers per part, never as strings ("2.9" < "2.30").

export function parseMicroversion(v: string): [number, number] {
    const m = /^(\d+)\.(\d+)$/.exec(v.trim());
    if (!m) throw new Error(`"${v}" is not a microversion (expected MAJOR.MINOR, e.g. 2.30)`);
    return [Number(m[1]), Number(m[2])];
}

/** Negative when a < b, 0 when equal, positive when a > b. */
export function compareMicroversions(a: string, b: string): number {
    const [am, an] = parseMicroversion(a);
    const [bm, bn] = parseMicroversion(b);
    return am !== bm ? am - bm : an - bn;
}

export function supports(max: string, wanted: string): boolean {
    return compareMicroversions(max, wanted) >= 0;
}

/** The first of `preferred` (newest first) that `max` supports, or undefined. */
export function pickMicroversion(max: string, preferred: string[]): string | undefined {
    return preferred.find((v) => supports(max, v));
}
