// vitest globalSetup of the lab lanes: names the lane's stack (openLabStack in ./lab.ts), which the lane's
// files share one after the other, and destroys it once the lane is done.
import { removeLabStack } from "./lab";

declare module "vitest" {
    export interface ProvidedContext {
        laneStack: string;
    }
}

export default function setup(project: { name: string; provide(key: "laneStack", value: string): void }): () => Promise<void> {
    const stackName = `test-${project.name}-${process.pid}`;
    project.provide("laneStack", stackName);
    return () => removeLabStack(stackName, true);
}
