// ComputeServiceReady: waits (bounded) until Nova sees a compute's nova-compute service up, with a heartbeat
// from after the process (and libvirtd) started, and — unless someone disabled it — schedulable. Servers wait
// for it: a boot on a compute whose new nova-compute has not reported in yet is refused as "No valid host"
// (its last heartbeat is that of the process before), and so is one whose libvirtd the stack has just
// restarted (nova-compute disables itself until it reconnects, and Placement hears of the enable later).
import * as pulumi from "./sdk";
import { computeService, waitSchedulable } from "../lib/moves/service";
import { waitFor } from "../lib/openstack/wait";
import { mustHave, openstackClients, type OpenStackClients } from "./openstackClients";
import { LazyResource, lazyProvider, methodsOf } from "./lazy";

/**
 * nova-compute disables its own service ("AUTO: Connection to libvirt lost") while libvirtd restarts, and
 * enables it again once it reconnected (the stack restarts it after libvirtd, so that is at its start); a
 * boot in between finds no valid host. A disable by an operator
 * (any other reason) is theirs and not waited out.
 */
const autoDisabled = (s: { status: string; disabled_reason?: string | null }) => s.status === "disabled" && /^AUTO:/.test(s.disabled_reason ?? "");

export interface ComputeReadyInputs {
    host: string;
    /** ISO time the nova-compute process started (from the host script's output). */
    activeSince: string;
    /** ISO time libvirtd last started (from the libvirt script's output); "" when unknown. */
    libvirtSince?: string;
    timeoutSeconds: number;
}

export interface ComputeReadyOutputs extends ComputeReadyInputs {
    state: string;
}

export class ComputeReadyProvider implements pulumi.dynamic.ResourceProvider<ComputeReadyInputs, ComputeReadyOutputs> {
    private clients?: OpenStackClients;

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.clients = openstackClients(req.config);
    }

    private async wait(inputs: ComputeReadyInputs): Promise<ComputeReadyOutputs> {
        const { nova, placement } = mustHave(this.clients, "ComputeServiceReady");
        const started = Date.now();
        // Timestamps have whole seconds: a heartbeat counts from the second after libvirtd's start, so one
        // sent just before nova-compute noticed the restart is not taken for the reconnect.
        const since = Math.max((Date.parse(inputs.activeSince) || 0) - 1000, (Date.parse(inputs.libvirtSince ?? "") || 0) + 1000);
        const svc = await waitFor(
            `nova-compute on ${inputs.host} to report in to Nova`,
            () => computeService(nova, inputs.host).catch(() => undefined),
            // A forced-down service (fenced or evacuated, not yet back in service) reports "down" whatever its
            // heartbeat: a fresh heartbeat is what says this nova-compute reported in.
            (s) => !!s && (s.state === "up" || !!s.forced_down) && Date.parse(`${s.updated_at}Z`.replace(/ZZ$/, "Z")) >= since && !autoDisabled(s),
            { timeoutMs: inputs.timeoutSeconds * 1000, intervalMs: 2000, maxIntervalMs: 5000 },
        );
        // A host in service must also be schedulable; one an operator (or a recovery) took out stays out.
        if (svc!.status === "enabled" && !svc!.forced_down) {
            await waitSchedulable(nova, placement, inputs.host, Math.max(1000, inputs.timeoutSeconds * 1000 - (Date.now() - started)));
        }
        return { ...inputs, state: svc!.state };
    }

    async create(inputs: ComputeReadyInputs): Promise<pulumi.dynamic.CreateResult<ComputeReadyOutputs>> {
        return { id: inputs.host, outs: await this.wait(inputs) };
    }

    async update(_id: string, _olds: ComputeReadyOutputs, news: ComputeReadyInputs): Promise<pulumi.dynamic.UpdateResult<ComputeReadyOutputs>> {
        return { outs: await this.wait(news) };
    }

    async diff(_id: string, olds: ComputeReadyOutputs, news: ComputeReadyInputs): Promise<pulumi.dynamic.DiffResult> {
        const keys = ["host", "activeSince", "libvirtSince", "timeoutSeconds"] as const;
        return { changes: keys.some((k) => (olds[k] ?? "") !== (news[k] ?? "")) };
    }
}

export const computeReadyProvider = lazyProvider(__filename, "ComputeReadyProvider", methodsOf(ComputeReadyProvider));

export class ComputeServiceReady extends LazyResource {
    declare readonly state: pulumi.Output<string>;

    constructor(name: string, args: { [K in keyof ComputeReadyInputs]: pulumi.Input<ComputeReadyInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(computeReadyProvider, name, { ...args, state: undefined }, opts, "livemig", "ComputeServiceReady");
    }
}
