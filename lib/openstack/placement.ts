// Placement's API (service type `placement`): only what says whether the scheduler can pick a compute.
// Nova's scheduler skips a compute whose resource provider carries COMPUTE_STATUS_DISABLED, and that trait
// follows the nova-compute service's status only when the compute itself syncs it, so "enabled" in Nova's
// services API can precede "schedulable" by seconds (or by a periodic task's interval when the sync failed).
import type { OpenStackSession } from "./session";

export const COMPUTE_STATUS_DISABLED = "COMPUTE_STATUS_DISABLED";

export class PlacementClient {
    constructor(readonly session: OpenStackSession) {}

    /** The traits of a resource provider (a compute node's provider has the compute node's UUID). */
    async providerTraits(uuid: string): Promise<string[]> {
        const r = await this.session.request<{ traits: string[] }>("placement", "GET", `/resource_providers/${encodeURIComponent(uuid)}/traits`, {
            microversion: "1.6",
            okStatus: [200],
        });
        return r.body.traits;
    }
}
