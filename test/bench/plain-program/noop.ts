// The engine-alone peer's provider: every method returns at once and calls nothing (no Nova, no SSH), so a
// program of these resources measures only the engine's own path (CLI, program, provider process,
// checkpoints). Loaded through the project's lazy provider form, as every provider of the project is.
import { LazyResource, lazyProvider, methodsOf } from "../../../providers/lazy";
import type * as pulumi from "../../../providers/sdk";

type Props = Record<string, unknown>;

export class NoopProvider {
    /** Outputs as a real create's: its inputs and what it adds (a placement: currentHost; a server: status, host). */
    async create(inputs: Props): Promise<{ id: string; outs: Props }> {
        if ("serverId" in inputs) return { id: String(inputs.serverId), outs: { ...inputs, currentHost: inputs.host } };
        return { id: String(inputs.name), outs: { ...inputs, status: "ACTIVE", host: inputs.createOn } };
    }

    async delete(): Promise<void> {}
}

const noopProvider = lazyProvider(__filename, "NoopProvider", methodsOf(NoopProvider));

/** A resource of type `type` whose provider does nothing. */
export class Noop extends LazyResource {
    constructor(type: "Server" | "Placement", name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        super(noopProvider, name, props, opts, "livemigbench", type);
    }
}
