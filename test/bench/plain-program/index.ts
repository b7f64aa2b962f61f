// The scale benchmark's peers: N servers declared the way a plain program would, in one of three modes.
//  - "nova" (default): N bare ServerInstances, real servers on the fake computes, no config validation, no
//    Server components, no placements;
//  - "noop": N resources whose provider does nothing: the engine's own path for a program of that shape;
//  - "noop-ours": N times what the project's program registers per server (a Server component, its
//    instance, its placement that waits for the instance's id, the component's outputs), each provider
//    doing nothing: the engine's own path for the project's shape, without Nova.
// test/lab/engine.test.ts counts the engine's checkpoints on its "noop" mode.
import * as pulumi from "@pulumi/pulumi";
import { ServerInstance } from "../../../providers/serverInstance";
import { Noop } from "./noop";

const config = new pulumi.Config();
const n = Number(config.require("count"));
const mode = config.get("mode") ?? "nova";
const inputs = (i: number) => ({
    name: `bench-plain-${i}`,
    flavor: "m1.tiny",
    image: "cirros-like-raw",
    createOn: i % 2 ? "fake-1" : "fake-2",
    availabilityZone: "fake",
    timeoutSeconds: 600,
});

class OursShaped extends pulumi.ComponentResource {
    constructor(i: number) {
        super("livemig:index:Server", `bench-plain-${i}`, {});
        const instance = new Noop("Server", `bench-plain-${i}`, inputs(i), { parent: this });
        const placement = new Noop(
            "Placement",
            `bench-plain-${i}-placement`,
            { serverId: instance.id, serverName: inputs(i).name, host: inputs(i).createOn, blockMigration: "auto", timeoutSeconds: 600, onTimeout: "abort" },
            { parent: this },
        );
        this.registerOutputs({ host: placement.id.apply(() => inputs(i).createOn) });
    }
}

for (let i = 0; i < n; i++) {
    if (mode === "nova") new ServerInstance(`bench-plain-${i}`, inputs(i));
    else if (mode === "noop") new Noop("Server", `bench-plain-${i}`, inputs(i));
    else if (mode === "noop-ours") new OursShaped(i);
    else throw new pulumi.RunError(`config mode: ${mode} is not one of nova, noop, noop-ours`);
}
