// Masakari's failover segments and their hosts, as resources: read() reports what Masakari holds, so a
// host removed from a segment by hand (or a recovery method changed) shows in `pulumi preview --refresh`
// and the next `pulumi up` puts it back.
import * as pulumi from "./sdk";
import type { RecoveryMethod, SegmentHost } from "../lib/openstack/masakari";
import { mustHave, openstackClients, type OpenStackClients } from "./openstackClients";
import { LazyResource, lazyProvider, methodsOf } from "./lazy";
import { engineWarning } from "./progress";

export interface SegmentInputs {
    name: string;
    recoveryMethod: RecoveryMethod;
    /** COMPUTE: the segment's members are nova-compute hosts. */
    serviceType: string;
    description: string;
}

export interface SegmentOutputs extends SegmentInputs {
    uuid: string;
}

export class SegmentProvider implements pulumi.dynamic.ResourceProvider<SegmentInputs, SegmentOutputs> {
    private clients?: OpenStackClients;

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.clients = openstackClients(req.config);
    }

    private get masakari() {
        return mustHave(this.clients, "MasakariSegment").masakari;
    }

    async create(inputs: SegmentInputs): Promise<pulumi.dynamic.CreateResult<SegmentOutputs>> {
        const body = { name: inputs.name, recovery_method: inputs.recoveryMethod, service_type: inputs.serviceType, description: inputs.description };
        // A segment of that name (an earlier, interrupted run) is taken over, not duplicated.
        const found = await this.masakari.findSegment(inputs.name);
        const seg = found ? await this.masakari.updateSegment(found.uuid, body) : await this.masakari.createSegment(body);
        return { id: seg.uuid, outs: { ...inputs, uuid: seg.uuid } };
    }

    async read(id: string, props?: SegmentOutputs): Promise<pulumi.dynamic.ReadResult<SegmentOutputs>> {
        const seg = (await this.masakari.listSegments()).find((s) => s.uuid === id);
        if (!seg || !props) return { id: "", props: undefined };
        const observed = { ...props, name: seg.name, recoveryMethod: seg.recovery_method, serviceType: seg.service_type, description: seg.description ?? "" };
        const { uuid: _u, ...inputs } = observed;
        return { id, props: observed, inputs: inputs as SegmentOutputs };
    }

    async diff(_id: string, olds: SegmentOutputs, news: SegmentInputs): Promise<pulumi.dynamic.DiffResult> {
        const keys = ["name", "recoveryMethod", "serviceType", "description"] as const;
        return { changes: keys.some((k) => olds[k] !== news[k]) };
    }

    async update(id: string, _olds: SegmentOutputs, news: SegmentInputs): Promise<pulumi.dynamic.UpdateResult<SegmentOutputs>> {
        await this.masakari.updateSegment(id, { name: news.name, recovery_method: news.recoveryMethod, service_type: news.serviceType, description: news.description });
        return { outs: { ...news, uuid: id } };
    }

    async delete(id: string): Promise<void> {
        await this.masakari.deleteSegment(id);
    }
}

export const segmentProvider = lazyProvider(__filename, "SegmentProvider", methodsOf(SegmentProvider));

export class MasakariSegment extends LazyResource {
    declare readonly uuid: pulumi.Output<string>;

    constructor(name: string, args: { [K in keyof SegmentInputs]: pulumi.Input<SegmentInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(segmentProvider, name, { ...args, uuid: undefined }, opts, "livemig", "MasakariSegment");
    }
}

export interface SegmentHostInputs {
    segmentId: string;
    /** The nova-compute host's name. */
    name: string;
    reserved: boolean;
    /**
     * Masakari ignores a host on maintenance. true/false when the stack's config says so (a maintenance
     * entry for the host); absent: not managed here, so that a host Masakari recovered stays on
     * maintenance until the config declares it back in service.
     */
    onMaintenance?: boolean;
}

export interface SegmentHostOutputs extends SegmentHostInputs {
    uuid: string;
    /** Observed: what Masakari says, managed or not. */
    maintenanceObserved: boolean;
}

export class SegmentHostProvider implements pulumi.dynamic.ResourceProvider<SegmentHostInputs, SegmentHostOutputs> {
    private clients?: OpenStackClients;

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.clients = openstackClients(req.config);
    }

    private get masakari() {
        return mustHave(this.clients, "MasakariSegmentHost").masakari;
    }

    private outputs(inputs: SegmentHostInputs, h: SegmentHost): SegmentHostOutputs {
        return { ...inputs, uuid: h.uuid, maintenanceObserved: h.on_maintenance };
    }

    async create(inputs: SegmentHostInputs): Promise<pulumi.dynamic.CreateResult<SegmentHostOutputs>> {
        const existing = (await this.masakari.listHosts(inputs.segmentId)).find((h) => h.name === inputs.name);
        const want = { reserved: inputs.reserved, on_maintenance: inputs.onMaintenance ?? existing?.on_maintenance ?? false };
        if (existing?.on_maintenance && inputs.onMaintenance === undefined) {
            // Kept on purpose (a host Masakari recovered stays out until the config says so), but said.
            engineWarning(
                `Masakari host ${inputs.name} already existed in segment ${inputs.segmentId} and is on maintenance: it stays so, and Masakari ` +
                    `will not recover its guests. Declare \`maintenance: [{ host: ${inputs.name}, maintenance: false }]\` once the host is healthy.`,
            );
        }
        const h = existing
            ? await this.masakari.updateHostWhenIdle(inputs.segmentId, existing.uuid, want)
            : await this.masakari.createHost(inputs.segmentId, { name: inputs.name, type: "COMPUTE", control_attributes: "SSH", ...want });
        return { id: h.uuid, outs: this.outputs(inputs, h) };
    }

    async read(id: string, props?: SegmentHostOutputs): Promise<pulumi.dynamic.ReadResult<SegmentHostOutputs>> {
        if (!props) return { id: "", props: undefined };
        const h = (await this.masakari.listHosts(props.segmentId).catch(() => [] as SegmentHost[])).find((x) => x.uuid === id);
        // Removed by hand (or with its segment): gone, so the preview plans to add it again.
        if (!h) return { id: "", props: undefined };
        const observed = this.outputs(props, h);
        const { uuid: _u, maintenanceObserved: _m, ...inputs } = observed;
        const drifted = { ...inputs, reserved: h.reserved, ...(props.onMaintenance !== undefined ? { onMaintenance: h.on_maintenance } : {}) };
        return { id, props: observed, inputs: drifted as SegmentHostOutputs };
    }

    async diff(id: string, olds: SegmentHostOutputs, news: SegmentHostInputs): Promise<pulumi.dynamic.DiffResult> {
        if (olds.segmentId !== news.segmentId || olds.name !== news.name) return { changes: true, replaces: ["segmentId", "name"], deleteBeforeReplace: true };
        // Masakari itself puts a host it recovered on maintenance, after the state was written: when the
        // config says what it wants, compare with Masakari's answer now, not with the state (an `up`
        // without --refresh must still bring a repaired host back into service).
        const live = news.onMaintenance === undefined ? undefined : (await this.masakari.listHosts(olds.segmentId).catch(() => [] as SegmentHost[])).find((h) => h.uuid === id);
        const maintenance = news.onMaintenance !== undefined && news.onMaintenance !== (live?.on_maintenance ?? olds.maintenanceObserved);
        return { changes: olds.reserved !== news.reserved || maintenance };
    }

    async update(id: string, _olds: SegmentHostOutputs, news: SegmentHostInputs): Promise<pulumi.dynamic.UpdateResult<SegmentHostOutputs>> {
        // Right after a recovery Masakari refuses changes to the host until its notification is done.
        const h = await this.masakari.updateHostWhenIdle(news.segmentId, id, { reserved: news.reserved, ...(news.onMaintenance !== undefined ? { on_maintenance: news.onMaintenance } : {}) });
        return { outs: this.outputs(news, h) };
    }

    async delete(id: string, props: SegmentHostOutputs): Promise<void> {
        await this.masakari.deleteHost(props.segmentId, id);
    }
}

export const segmentHostProvider = lazyProvider(__filename, "SegmentHostProvider", methodsOf(SegmentHostProvider));

export class MasakariSegmentHost extends LazyResource {
    declare readonly uuid: pulumi.Output<string>;
    declare readonly maintenanceObserved: pulumi.Output<boolean>;

    constructor(name: string, args: { [K in keyof SegmentHostInputs]: pulumi.Input<SegmentHostInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(segmentHostProvider, name, { ...args, uuid: undefined, maintenanceObserved: undefined }, opts, "livemig", "MasakariSegmentHost");
    }
}
