// BootVolume: a Cinder volume marked bootable, copied from a Glance image, or empty where the backend
// cannot copy image data (the lab's fake Cinder driver has no data path).
import * as pulumi from "./sdk";
import { waitForVolumeGone, waitForVolumeStatus } from "../lib/openstack/volumeWait";
import { mustHave, openstackClients, type OpenStackClients } from "./openstackClients";
import { LazyResource, lazyProvider, methodsOf } from "./lazy";

export interface BootVolumeInputs {
    name: string;
    /** GiB. */
    size: number;
    /** Image to copy into the volume; absent: an empty volume, marked bootable. */
    image?: string;
    timeoutSeconds: number;
}

export interface BootVolumeOutputs extends BootVolumeInputs {
    status: string;
}

export class BootVolumeProvider implements pulumi.dynamic.ResourceProvider<BootVolumeInputs, BootVolumeOutputs> {
    private clients?: OpenStackClients;

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.clients = openstackClients(req.config);
    }

    async create(inputs: BootVolumeInputs): Promise<pulumi.dynamic.CreateResult<BootVolumeOutputs>> {
        const { cinder, glance } = mustHave(this.clients, "BootVolume");
        let imageRef: string | undefined;
        if (inputs.image) {
            const image = await glance.findImage(inputs.image);
            if (!image) throw new Error(`volume ${inputs.name}: image ${inputs.image} does not exist`);
            imageRef = image.id;
        }
        const volume = await cinder.createVolume({ name: inputs.name, size: inputs.size, imageRef });
        try {
            const ready = await waitForVolumeStatus(cinder, volume.id, { status: "available", failStates: ["error"], timeoutMs: inputs.timeoutSeconds * 1000 });
            if (ready.bootable !== "true") await cinder.setBootable(volume.id, true);
            return { id: volume.id, outs: { ...inputs, status: "available" } };
        } catch (err) {
            await cinder.deleteVolume(volume.id).catch(() => undefined);
            throw err;
        }
    }

    async read(id: string, props?: BootVolumeOutputs): Promise<pulumi.dynamic.ReadResult<BootVolumeOutputs>> {
        const volume = await mustHave(this.clients, "BootVolume").cinder.getVolume(id);
        if (!volume || !props) return { id: "", props: undefined };
        return { id, props: { ...props, status: volume.status } };
    }

    async diff(_id: string, olds: BootVolumeOutputs, news: BootVolumeInputs): Promise<pulumi.dynamic.DiffResult> {
        const replaces = (["name", "size", "image"] as const).filter((k) => (olds[k] ?? "") !== (news[k] ?? ""));
        return { changes: replaces.length > 0 || olds.timeoutSeconds !== news.timeoutSeconds, replaces, deleteBeforeReplace: false };
    }

    async update(_id: string, olds: BootVolumeOutputs, news: BootVolumeInputs): Promise<pulumi.dynamic.UpdateResult<BootVolumeOutputs>> {
        return { outs: { ...news, status: olds.status } };
    }

    async delete(id: string, props: BootVolumeOutputs): Promise<void> {
        const { cinder } = mustHave(this.clients, "BootVolume");
        if (await cinder.deleteVolume(id)) await waitForVolumeGone(cinder, id, { timeoutMs: props.timeoutSeconds * 1000 });
    }
}

export const bootVolumeProvider = lazyProvider(__filename, "BootVolumeProvider", methodsOf(BootVolumeProvider));

export class BootVolume extends LazyResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly status: pulumi.Output<string>;

    constructor(name: string, args: { [K in keyof BootVolumeInputs]: pulumi.Input<BootVolumeInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(bootVolumeProvider, name, { ...args, status: undefined }, opts, "livemig", "BootVolume");
    }
}
