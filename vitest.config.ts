import { readdirSync } from "node:fs";
import { defineConfig } from "vitest/config";

// Projects: `unit` (pure logic and Pulumi mocks, seconds), `lab-*` (the real Pulumi engine against the
// real lab: hosts in network namespaces and an OpenStack control plane; in lanes, see below), and `audit`
// (after the lab tests: secrets left anywhere by the suite).
const LANES: Record<string, string[]> = {
    "lab-bare": ["hosts"],
    "lab-faults": ["faults"],
    "lab-hosts": ["guests", "ceph", "fencing", "ha"],
    "lab-cloud": ["migrations", "openstack-client", "engine", "config"],
};
// A lab test file in no lane would never run: refuse to start instead.
const unlisted = readdirSync("test/lab")
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => f.replace(/\.test\.ts$/, ""))
    .filter((f) => !Object.values(LANES).flat().includes(f));
if (unlisted.length) throw new Error(`vitest.config.ts: test/lab/${unlisted[0]}.test.ts is in no lane of LANES: add it to one`);

function labProject(name: string) {
    const files = LANES[name]!;
    return {
        test: {
            name,
            include: files.map((f) => `test/lab/${f}.test.ts`),
            pool: "forks" as const,
            poolOptions: { forks: { singleFork: true } },
            testTimeout: 20 * 60_000,
            hookTimeout: 20 * 60_000,
            // Samples every process's command line while the lab tests run, for the audit; the lane's
            // shared stack (destroyed at the lane's end, before the sampler stops: teardowns run in reverse).
            globalSetup: ["test/support/cmdlineSampler.ts", "test/support/laneStack.ts"],
        },
    };
}

export default defineConfig({
    test: {
        projects: [
            {
                test: {
                    name: "unit",
                    include: ["test/unit/**/*.test.ts"],
                    testTimeout: 30_000,
                },
            },
            // The lab tests in lanes, each one file at a time; ./run test runs two lanes side by side, as
            // two vitest processes, in two rounds. First lab-bare (the hosts' configuration from bare hosts,
            // without Nova) beside lab-faults (nova-api and RabbitMQ restarted under moves on the fake
            // computes). Then lab-hosts (real guests on compute-1..3, Gluster, Ceph, fencing, Masakari)
            // beside lab-cloud (the fake computes). Side by side they share only what neither disturbs.
            ...Object.keys(LANES).map(labProject),
            {
                // Run after the lab tests (./run test does): what the whole suite left behind.
                test: {
                    name: "audit",
                    include: ["test/audit/**/*.test.ts"],
                    testTimeout: 120_000,
                },
            },
        ],
    },
});
