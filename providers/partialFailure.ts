// A create or update that failed part-way has still changed the world (a server moved, a host disabled).
// Failing with the old state kept, the engine would trust it: the next `up` sees no change when the config
// goes back to what the state says, and a resource whose create failed is forgotten (removing it from the
// config then undoes nothing). The engine's answer is a partial failure (ErrorResourceInitFailed, which the
// Node.js dynamic-provider host sends for an error carrying `id` and `properties`): it stores these outputs
// and marks the resource to be updated again by the next `pulumi up`.

/** `err`, made into a partial failure that stores `properties` (the state as observed now) under `id`. */
export function partialFailure(err: unknown, id: string, properties: Record<string, unknown>): Error {
    const e = err instanceof Error ? err : new Error(String(err));
    return Object.assign(e, { id, properties, reasons: [e.message] });
}
