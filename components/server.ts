// Server: a VM, image-backed or booted from its own bootable volume, with a declared placement that
// live migrations keep true. The walkthrough's `nova boot` and `nova live-migration`, as one resource.
import * as pulumi from "../providers/sdk";
import type { MoveSettings, Placement } from "../lib/moves/placement";
import { BootVolume } from "../providers/bootVolume";
import { ServerPlacement, type PreflightSettings } from "../providers/placement";
import { ServerInstance } from "../providers/serverInstance";

export interface ServerArgs {
    name: string;
    flavor: string;
    /** Image to boot from; or bootVolume. */
    image?: string;
    /** A new bootable volume to boot from (with `image` copied into it when set). */
    bootVolume?: { size: number; image?: string };
    /** Availability zone; default the cloud's. Scheduler-chosen moves stay inside it. */
    availabilityZone?: string;
    /** Where it must run; default: wherever the scheduler put it. */
    placement?: Placement;
    moves: MoveSettings;
    /** Real computes reachable over SSH, for pre-flight checks of planned moves. */
    preflight?: PreflightSettings;
    /** Resources whose work must be done before this server is moved (maintenance, evacuations). */
    movesAfter?: pulumi.Input<pulumi.Resource[]>;
    /** Resources that must exist before the server is created (the computes it may run on). */
    createAfter?: pulumi.Resource[];
}

export class Server extends pulumi.ComponentResource {
    readonly instance: ServerInstance;
    readonly volume?: BootVolume;
    readonly placement?: ServerPlacement;
    /** Where the server runs (after the last update or refresh). */
    readonly host: pulumi.Output<string>;

    constructor(name: string, args: ServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("livemig:index:Server", name, {}, opts);
        const timeoutSeconds = args.moves.timeoutSeconds;
        if (args.bootVolume) {
            this.volume = new BootVolume(
                `${name}-volume`,
                { name: `${args.name}-boot`, size: args.bootVolume.size, image: args.bootVolume.image, timeoutSeconds },
                { parent: this },
            );
        }
        this.instance = new ServerInstance(
            name,
            {
                name: args.name,
                flavor: args.flavor,
                image: args.image,
                bootVolumeId: this.volume?.id,
                createOn: args.placement?.host,
                availabilityZone: args.availabilityZone,
                timeoutSeconds,
            },
            { parent: this, dependsOn: args.createAfter },
        );
        if (args.placement) {
            this.placement = new ServerPlacement(
                `${name}-placement`,
                { serverId: this.instance.id, serverName: args.name, ...args.placement, ...args.moves, preflight: args.preflight },
                { parent: this, dependsOn: args.movesAfter },
            );
        }
        this.host = this.placement ? this.placement.currentHost : this.instance.host;
        this.registerOutputs({ host: this.host });
    }
}
