// HostMaintenance: "maintenance mode" for a compute host, as code. maintenance: true disables its
// nova-compute service with a reason and live-migrates every server off it (a few at a time);
// false (or removing the resource) enables it again.
import * as pulumi from "./sdk";
import { disableForMaintenance, drainHost, endMaintenance, type DrainMove } from "../lib/moves/drain";
import type { MoveSettings } from "../lib/moves/placement";
import { computeService, waitSchedulable } from "../lib/moves/service";
import { mustHave, openstackClients, type OpenStackClients } from "./openstackClients";
import { LazyResource, lazyProvider, methodsOf } from "./lazy";
import { dynamicUrn, engineProgress } from "./progress";
import { partialFailure } from "./partialFailure";

/** Placement hears of an enable from the compute, at the latest by its 60-s resource update. */
const SCHEDULABLE_TIMEOUT_MS = 180_000;

export interface HostMaintenanceInputs extends MoveSettings {
    host: string;
    maintenance: boolean;
    reason: string;
    concurrency: number;
    /** This resource's URN, for progress lines while it drains (see ./progress). */
    progressUrn?: string;
}

export interface HostMaintenanceOutputs extends HostMaintenanceInputs {
    /** What the last drain moved. */
    moves: DrainMove[];
    /** OpenStack API requests the last update made (benchmarks compare this with other tools). */
    apiRequests: number;
    /** Observed: the service's status and how many servers are on the host. */
    serviceStatus: string;
    serversOnHost: number;
}

export class HostMaintenanceProvider implements pulumi.dynamic.ResourceProvider<HostMaintenanceInputs, HostMaintenanceOutputs> {
    private clients?: OpenStackClients;

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.clients = openstackClients(req.config);
    }

    private async observe(inputs: HostMaintenanceInputs) {
        const { nova } = mustHave(this.clients, "HostMaintenance");
        const svc = await computeService(nova, inputs.host);
        const servers = await nova.listServers({ host: inputs.host, allTenants: true });
        return { serviceStatus: svc.status, serversOnHost: servers.length };
    }

    /**
     * A drain that fails part-way has still disabled the host and moved some servers: the error stores the
     * host as observed then (see ./partialFailure), so that going back to `maintenance: false`, or removing
     * the entry, enables it again. "unknown" when Nova cannot say, which the next diff treats as drift.
     */
    private async apply(id: string, inputs: HostMaintenanceInputs, previous: DrainMove[]): Promise<HostMaintenanceOutputs> {
        try {
            return await this.converge(inputs, previous);
        } catch (err) {
            const observed = await this.observe(inputs).catch(() => ({ serviceStatus: "unknown", serversOnHost: -1 }));
            throw partialFailure(err, id, { ...inputs, moves: previous, apiRequests: 0, ...observed });
        }
    }

    private async converge(inputs: HostMaintenanceInputs, previous: DrainMove[]): Promise<HostMaintenanceOutputs> {
        const { nova, placement, session } = mustHave(this.clients, "HostMaintenance");
        const requestsBefore = session.stats.requests;
        let moves = previous;
        if (inputs.maintenance) {
            await disableForMaintenance(nova, inputs.host, inputs.reason);
            const drained = await drainHost(nova, inputs.host, inputs.concurrency, inputs, engineProgress(inputs.progressUrn));
            moves = drained.moves;
            if (drained.failures.length > 0) {
                throw new Error(
                    `${inputs.host} stays disabled but is not drained: ${drained.failures.length} server(s) could not be moved ` +
                        `(${drained.moves.length} were):\n` +
                        drained.failures.map((f) => `  ${f.serverName} (${f.serverId}): ${f.error}`).join("\n") +
                        `\nEach of them is still running where Nova says; fix the cause and run pulumi up again.`,
                );
            }
        } else {
            await endMaintenance(nova, inputs.host, inputs.reason);
            // Back in service means the scheduler can pick it: what comes next in the same run may move there.
            await waitSchedulable(nova, placement, inputs.host, SCHEDULABLE_TIMEOUT_MS);
        }
        const observed = await this.observe(inputs);
        return { ...inputs, moves, ...observed, apiRequests: session.stats.requests - requestsBefore };
    }

    async create(inputs: HostMaintenanceInputs): Promise<pulumi.dynamic.CreateResult<HostMaintenanceOutputs>> {
        return { id: inputs.host, outs: await this.apply(inputs.host, inputs, []) };
    }

    async update(id: string, olds: HostMaintenanceOutputs, news: HostMaintenanceInputs): Promise<pulumi.dynamic.UpdateResult<HostMaintenanceOutputs>> {
        return { outs: await this.apply(id, news, olds.moves ?? []) };
    }

    async diff(_id: string, olds: HostMaintenanceOutputs, news: HostMaintenanceInputs): Promise<pulumi.dynamic.DiffResult> {
        if (olds.host !== news.host) return { changes: true, replaces: ["host"] };
        const keys = ["maintenance", "reason", "concurrency", "blockMigration", "timeoutSeconds", "onTimeout"] as const;
        const changed = keys.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        const drifted = news.maintenance ? olds.serviceStatus !== "disabled" || olds.serversOnHost > 0 : olds.serviceStatus !== "enabled";
        return { changes: changed || drifted };
    }

    async read(id: string, props?: HostMaintenanceOutputs): Promise<pulumi.dynamic.ReadResult<HostMaintenanceOutputs>> {
        if (!props) return { id: "", props: undefined };
        const observed = { ...props, ...(await this.observe(props)) };
        const inMaintenance = observed.serviceStatus === "disabled" && observed.serversOnHost === 0;
        if (inMaintenance === props.maintenance || (!props.maintenance && observed.serviceStatus === "enabled")) return { id, props: observed };
        // Drift: show what the host really is in, so the preview reads `maintenance: false => true`.
        const { moves: _m, serviceStatus: _s, serversOnHost: _n, apiRequests: _a, ...inputs } = observed;
        return { id, props: observed, inputs: { ...inputs, maintenance: !props.maintenance } as HostMaintenanceOutputs };
    }

    async delete(_id: string, props: HostMaintenanceOutputs): Promise<void> {
        // The host goes back into service when the stack stops managing its maintenance.
        if (props.maintenance) await endMaintenance(mustHave(this.clients, "HostMaintenance").nova, props.host, props.reason);
    }
}

export const hostMaintenanceProvider = lazyProvider(__filename, "HostMaintenanceProvider", methodsOf(HostMaintenanceProvider));

export class HostMaintenance extends LazyResource {
    declare readonly moves: pulumi.Output<DrainMove[]>;
    declare readonly serviceStatus: pulumi.Output<string>;
    declare readonly serversOnHost: pulumi.Output<number>;
    declare readonly apiRequests: pulumi.Output<number>;

    constructor(name: string, args: { [K in keyof HostMaintenanceInputs]: pulumi.Input<HostMaintenanceInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(hostMaintenanceProvider, name, { progressUrn: dynamicUrn(pulumi, "HostMaintenance", name), ...args, moves: undefined, serviceStatus: undefined, serversOnHost: undefined, apiRequests: undefined }, opts, "livemig", "HostMaintenance");
    }
}
