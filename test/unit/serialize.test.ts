import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { remoteScriptProvider } from "../../providers/remoteScript";

// The engine runs dynamic providers from their serialized text; a provider that does not serialize
// fails only at `pulumi up`. Every provider gets this check.
describe("dynamic providers serialize", () => {
    it.each([["RemoteScript", remoteScriptProvider]])("%s", async (_name, provider) => {
        const sf = await pulumi.runtime.serializeFunction(() => provider);
        expect(sf.text).toContain("exports.handler");
        expect(sf.text.length).toBeGreaterThan(100);
    });
});
