// A Nova server, image-backed or booted from a volume. Its placement after creation is the Placement
// resource's business; this one only creates it (on the desired host when there is one), reads it, and
// deletes it. (It stands where @pulumi/openstack's compute.Instance would; see README.)
import * as pulumi from "./sdk";
import { waitForServerGone, waitForServerStatus } from "../lib/openstack/serverWait";
import { serverHost } from "../lib/openstack/novaTypes";
import { mustHave, openstackClients, type OpenStackClients } from "./openstackClients";
import { LazyResource, lazyProvider, methodsOf } from "./lazy";

export interface ServerInstanceInputs {
    name: string;
    flavor: string;
    /** Image to boot from (image-backed servers). */
    image?: string;
    /** Bootable volume to boot from (boot-from-volume servers). */
    bootVolumeId?: string;
    /** Host to create the server on; later moves are the Placement resource's. */
    createOn?: string;
    /** Availability zone; the scheduler keeps the server inside it on later moves. */
    availabilityZone?: string;
    timeoutSeconds: number;
}

export interface ServerInstanceOutputs extends ServerInstanceInputs {
    status: string;
    host: string;
}

/**
 * A compute that has just registered is only known to the API once the scheduler mapped it to a cell
 * (`discover_hosts`, every few seconds): until then a boot pinned to it is refused with "Compute host …
 * could not be found", or, for the zone only it serves, "The requested availability zone is not
 * available". Retry those refusals, and only for a pinned boot, for a bounded while.
 */
async function createWhenMapped<T>(create: () => Promise<T>, host: string | undefined): Promise<T> {
    const deadline = Date.now() + 180_000;
    for (;;) {
        try {
            return await create();
        } catch (err) {
            const unmapped = host !== undefined && /Compute host .* could not be found|requested availability zone is not available/.test((err as Error).message);
            if (!unmapped || Date.now() > deadline) throw err;
            await new Promise((r) => setTimeout(r, 5000));
        }
    }
}

export class ServerInstanceProvider implements pulumi.dynamic.ResourceProvider<ServerInstanceInputs, ServerInstanceOutputs> {
    private clients?: OpenStackClients;

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.clients = openstackClients(req.config);
    }

    async create(inputs: ServerInstanceInputs): Promise<pulumi.dynamic.CreateResult<ServerInstanceOutputs>> {
        const { nova, glance } = mustHave(this.clients, "Server");
        const flavor = await nova.findFlavor(inputs.flavor);
        if (!flavor) throw new Error(`server ${inputs.name}: flavor ${inputs.flavor} does not exist`);
        let imageRef: string | undefined;
        if (inputs.image) {
            const image = await glance.findImage(inputs.image);
            if (!image) throw new Error(`server ${inputs.name}: image ${inputs.image} does not exist`);
            imageRef = image.id;
        }
        const { id } = await createWhenMapped(() => nova.createServer({
            name: inputs.name,
            flavorRef: flavor.id,
            imageRef,
            blockDeviceMapping: inputs.bootVolumeId
                ? [{ boot_index: 0, uuid: inputs.bootVolumeId, source_type: "volume", destination_type: "volume", delete_on_termination: false }]
                : undefined,
            host: inputs.createOn,
            availabilityZone: inputs.availabilityZone,
            networks: "none",
        }), inputs.createOn);
        try {
            const server = await waitForServerStatus(nova, id, { status: "ACTIVE", failStates: ["ERROR"], timeoutMs: inputs.timeoutSeconds * 1000 });
            return { id, outs: { ...inputs, status: server.status, host: serverHost(server) ?? "" } };
        } catch (err) {
            // Create is transactional: a server that never became ACTIVE is removed again.
            await nova.deleteServer(id).catch(() => undefined);
            throw err;
        }
    }

    async read(id: string, props?: ServerInstanceOutputs): Promise<pulumi.dynamic.ReadResult<ServerInstanceOutputs>> {
        const { nova } = mustHave(this.clients, "Server");
        const server = await nova.getServer(id);
        // An empty id tells the engine the server is gone.
        if (!server) return { id: "", props: undefined };
        return { id, props: { ...props!, status: server.status, host: serverHost(server) ?? "" } };
    }

    async diff(_id: string, olds: ServerInstanceOutputs, news: ServerInstanceInputs): Promise<pulumi.dynamic.DiffResult> {
        const replaces = (["name", "flavor", "image", "bootVolumeId", "availabilityZone"] as const).filter((k) => (olds[k] ?? "") !== (news[k] ?? ""));
        // createOn only matters at creation: a new placement is the Placement resource's move, not a change here.
        const changes = replaces.length > 0 || olds.timeoutSeconds !== news.timeoutSeconds;
        return { changes, replaces };
    }

    async update(_id: string, olds: ServerInstanceOutputs, news: ServerInstanceInputs): Promise<pulumi.dynamic.UpdateResult<ServerInstanceOutputs>> {
        return { outs: { ...news, status: olds.status, host: olds.host } };
    }

    async delete(id: string, props: ServerInstanceOutputs): Promise<void> {
        const { nova } = mustHave(this.clients, "Server");
        if (await nova.deleteServer(id)) await waitForServerGone(nova, id, { timeoutMs: props.timeoutSeconds * 1000 });
    }
}

export const serverInstanceProvider = lazyProvider(__filename, "ServerInstanceProvider", methodsOf(ServerInstanceProvider));

export class ServerInstance extends LazyResource {
    declare readonly name: pulumi.Output<string>;
    declare readonly status: pulumi.Output<string>;
    /** Where the server was when last created or refreshed. */
    declare readonly host: pulumi.Output<string>;

    constructor(name: string, args: { [K in keyof ServerInstanceInputs]: pulumi.Input<ServerInstanceInputs[K]> }, opts?: pulumi.CustomResourceOptions) {
        super(serverInstanceProvider, name, { ...args, status: undefined, host: undefined }, opts, "livemig", "Server");
    }
}
