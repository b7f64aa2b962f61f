// ComputeServiceReady: waits (bounded) until Nova sees a compute's nova-compute service up, with a heartbeat
// from after the process started. Servers wait for it: a boot on a compute whose new nova-compute has not
// reported in yet is refused as "No valid host" (its last heartbeat is that of the process before), and so is
// one whose libvirtd the stack has just restarted.
import * as pulumi from "@pulumi/pulumi";
import { computeService } from "../lib/moves/service";
import { waitFor } from "../lib/openstack/wait";
import { mustHave, openstackClients, type OpenStackClients } from "./openstackClients";
import { LazyResource, lazyProvider, methodsOf } from "./lazy";

/**
 * nova-compute disables its own service ("AUTO: Connection to libvirt lost") while libvirtd restarts, and
 * enables it again once it reconnected; a boot in between finds no valid host. A disable by an operator
 * (any other reason) is theirs and not waited out.
 */
const autoDisabled = (s: { status: string; disabled_reason?: string | null }) => s.status === "disabled" && /^AUTO:/.test(s.disabled_reason ?? "");

export interface ComputeReadyInputs {
    host: string;
    /** ISO time the nova-compute process started (from the host script's output). */
    activeSince: string;
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
        const { nova } = mustHave(this.clients, "ComputeServiceReady");
        const since = Date.parse(inputs.activeSince) || 0;
        const svc = await waitFor(
            `nova-compute on ${inputs.host} to report in to Nova`,
            () => computeService(nova, inputs.host).catch(() => undefined),
            // A forced-down service (fenced or evacuated, not yet back in service) reports "down" whatever its
            // heartbeat: a fresh heartbeat is what says this nova-compute reported in.
            (s) => !!s && (s.state === "up" || !!s.forced_down) && Date.parse(`${s.updated_at}Z`.replace(/ZZ$/, "Z")) >= since - 1000 && !autoDisabled(s),
            { timeoutMs: inputs.timeoutSeconds * 1000, intervalMs: 2000, maxIntervalMs: 5000 },
        );
        return { ...inputs, state: svc!.state };
    }

    async create(inputs: ComputeReadyInputs): Promise<pulumi.dynamic.CreateResult<ComputeReadyOutputs>> {
        return { id: inputs.host, outs: await this.wait(inputs) };
    }

    async update(_id: string, _olds: ComputeReadyOutputs, news: ComputeReadyInputs): Promise<pulumi.dynamic.UpdateResult<ComputeReadyOutputs>> {
        return { outs: await this.wait(news) };
    }

    async diff(_id: string, olds: ComputeReadyOutputs, news: ComputeReadyInputs): Promise<pulumi.dynamic.DiffResult> {
        return { changes: olds.activeSince !== news.activeSince || olds.host !== news.host || olds.timeoutSeconds !== news.timeoutSeconds };
    }
}

export const computeReadyProvider = lazyProvider(__filename, "ComputeReadyProvider", methodsOf(ComputeReadyProvider));

export class ComputeServiceReady extends LazyResource {
    declare readonly state: pulumi.Output<string>;

    constructor(name: string, args: { [K in keyof ComputeReadyInputs]: pulumi.Input<ComputeReadyInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(computeReadyProvider, name, { ...args, state: undefined }, opts, "livemig", "ComputeServiceReady");
    }
}
