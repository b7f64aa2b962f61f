import { describe, expect, it } from "vitest";
import { PlacementProvider, type PlacementInputs } from "../../providers/placement";

// A provider that was never configured has no Nova client: any lookup fails with "not configured".
const stored: PlacementInputs = {
    serverId: "0b7c2d4e-1f3a-4b5c-8d9e-0a1b2c3d4e5f",
    serverName: "vm-1",
    host: "compute-1",
    blockMigration: "auto",
    timeoutSeconds: 600,
    onTimeout: "abort",
};

describe("Placement check", () => {
    it("asks Nova nothing when the inputs are those stored (no move planned): many servers cost no API calls", async () => {
        await expect(new PlacementProvider().check(stored, { ...stored })).resolves.toEqual({ inputs: stored });
    });

    it("asks Nova where the server is once the placement changed", async () => {
        await expect(new PlacementProvider().check(stored, { ...stored, host: "compute-2" })).rejects.toThrow(/not configured/);
    });
});
