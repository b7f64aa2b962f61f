import { defineConfig } from "vitest/config";

// Three projects: `unit` (pure logic and Pulumi mocks, seconds), `lab` (the real Pulumi engine against
// the real lab: hosts in network namespaces and an OpenStack control plane; files run one at a time
// because they share the lab), and `audit` (after the lab tests: secrets left anywhere by the suite).
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
            {
                test: {
                    name: "lab",
                    include: ["test/lab/**/*.test.ts"],
                    pool: "forks",
                    poolOptions: { forks: { singleFork: true } },
                    testTimeout: 20 * 60_000,
                    hookTimeout: 20 * 60_000,
                    // Samples every process's command line while the lab tests run, for the audit.
                    globalSetup: ["test/support/cmdlineSampler.ts"],
                },
            },
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
