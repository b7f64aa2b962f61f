import { defineConfig } from "vitest/config";

// Two projects: `unit` (pure logic and Pulumi mocks, seconds) and `lab` (the real Pulumi engine against
// the real lab: hosts in network namespaces and an OpenStack control plane). Lab files run one at a time
// because they share the lab.
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
                },
            },
        ],
    },
});
