import { readdirSync } from "node:fs";
import { defineConfig } from "vitest/config";

// Projects: `unit` (pure logic and Pulumi mocks, seconds), `lab-*` (the real Pulumi engine against the
// real lab: hosts in network namespaces and an OpenStack control plane; in lanes, see below), and `audit`
// (after the lab tests: secrets left anywhere by the suite).
const LANES: Record<string, string[]> = {
    "lab-hosts": ["hosts", "guests", "ceph", "fencing", "ha"],
    "lab-cloud": ["migrations", "openstack-client", "engine", "config"],
    "lab-faults": ["faults"],
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
            // Samples every process's command line while the lab tests run, for the audit.
            globalSetup: ["test/support/cmdlineSampler.ts"],
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
            // The lab tests in lanes, each one file at a time. ./run test runs lab-hosts (compute-1..3, the
            // Gluster and Ceph nodes, real guests) and lab-cloud (the fake computes) side by side, as two
            // vitest processes: they share only the control plane, which neither stops. Then lab-faults,
            // alone: it restarts nova-api and RabbitMQ under everything.
            labProject("lab-hosts"),
            labProject("lab-cloud"),
            labProject("lab-faults"),
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
