// Evacuation: recovers servers from a failed compute host onto others (Nova rebuilds them from their
// shared or volume-backed disks). Refuses while the host may still be running them; see lib/moves/evacuate.
// Removing the resource (the host is back) unforces the host once Nova marked every evacuation completed.
import * as pulumi from "./sdk";
import { evacuateHost, recoverHost, type EvacuationPlan, type Evacuated, type Fencing } from "../lib/moves/evacuate";
import { mustHave, openstackClients, type OpenStackClients } from "./openstackClients";
import { LazyResource, lazyProvider, methodsOf } from "./lazy";
import { dynamicUrn, engineProgress } from "./progress";

export type EvacuationInputs = EvacuationPlan;

export interface EvacuationOutputs extends EvacuationInputs {
    /** How the last update proved the host off before rebuilding anything. */
    fencing?: Fencing;
    /** Every server this resource recovered (kept across updates: needed to unforce the host later). */
    evacuated: Evacuated[];
    /** Observed: servers of this plan that Nova still places on the failed host. */
    remainingOnHost: number;
    /** OpenStack API requests the last update made. */
    apiRequests: number;
}

async function remaining({ nova }: OpenStackClients, plan: EvacuationPlan): Promise<number> {
    const onHost = await nova.listServers({ host: plan.host, allTenants: true });
    return onHost.filter((s) => !plan.serverIds || plan.serverIds.includes(s.id)).length;
}

export class EvacuationProvider implements pulumi.dynamic.ResourceProvider<EvacuationInputs, EvacuationOutputs> {
    private clients?: OpenStackClients;

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.clients = openstackClients(req.config);
    }

    private async apply(plan: EvacuationInputs, previous: Evacuated[]): Promise<EvacuationOutputs> {
        const { nova, session } = mustHave(this.clients, "Evacuation");
        const requestsBefore = session.stats.requests;
        const { fencing, evacuated, failures } = await evacuateHost(nova, plan, engineProgress(plan.progressUrn));
        const all = [...previous.filter((p) => !evacuated.some((e) => e.serverId === p.serverId)), ...evacuated];
        if (failures.length > 0) {
            throw new Error(
                `evacuation of ${plan.host}: ${failures.length} server(s) not recovered (${evacuated.length} were):\n` +
                    failures.map((f) => `  ${f.serverId}: ${f.error}`).join("\n"),
            );
        }
        const remainingOnHost = await remaining(mustHave(this.clients, "Evacuation"), plan);
        return { ...plan, fencing, evacuated: all, remainingOnHost, apiRequests: session.stats.requests - requestsBefore };
    }

    async create(inputs: EvacuationInputs): Promise<pulumi.dynamic.CreateResult<EvacuationOutputs>> {
        return { id: inputs.host, outs: await this.apply(inputs, []) };
    }

    async update(_id: string, olds: EvacuationOutputs, news: EvacuationInputs): Promise<pulumi.dynamic.UpdateResult<EvacuationOutputs>> {
        return { outs: await this.apply(news, olds.evacuated ?? []) };
    }

    async diff(_id: string, olds: EvacuationOutputs, news: EvacuationInputs): Promise<pulumi.dynamic.DiffResult> {
        if (olds.host !== news.host) return { changes: true, replaces: ["host"], deleteBeforeReplace: true };
        const keys = ["fenced", "fence", "serverIds", "target", "reboot", "concurrency", "timeoutSeconds"] as const;
        const changed = keys.some((k) => JSON.stringify(olds[k] ?? null) !== JSON.stringify(news[k] ?? null));
        return { changes: changed || olds.remainingOnHost > 0 };
    }

    async read(id: string, props?: EvacuationOutputs): Promise<pulumi.dynamic.ReadResult<EvacuationOutputs>> {
        if (!props) return { id: "", props: undefined };
        return { id, props: { ...props, remainingOnHost: await remaining(mustHave(this.clients, "Evacuation"), props) } };
    }

    async delete(_id: string, props: EvacuationOutputs): Promise<void> {
        await recoverHost(mustHave(this.clients, "Evacuation").nova, props.host, props.timeoutSeconds, props.fence);
    }
}

export const evacuationProvider = lazyProvider(__filename, "EvacuationProvider", methodsOf(EvacuationProvider));

export class Evacuation extends LazyResource {
    declare readonly fencing: pulumi.Output<Fencing | undefined>;
    declare readonly evacuated: pulumi.Output<Evacuated[]>;
    declare readonly remainingOnHost: pulumi.Output<number>;
    declare readonly apiRequests: pulumi.Output<number>;

    constructor(name: string, args: { [K in keyof EvacuationInputs]: pulumi.Input<EvacuationInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        // The fence device holds the BMC password: secret in the state, like every output derived from it.
        super(
            evacuationProvider,
            name,
            { progressUrn: dynamicUrn(pulumi, "Evacuation", name), ...args, fencing: undefined, evacuated: undefined, remainingOnHost: undefined, apiRequests: undefined },
            { ...opts, additionalSecretOutputs: ["fence", ...(opts?.additionalSecretOutputs ?? [])] },
            "livemig",
            "Evacuation",
        );
    }
}
