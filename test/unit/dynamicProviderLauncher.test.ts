// tools/dynamic-provider-launcher.sh (installed by tools/toolchain as pulumi-resource-pulumi-nodejs), run for
// real: where nothing provides @pulumi/pulumi it stops with node's own error naming the module, not with a
// provider that never starts. (Where ./node_modules has it, every lab test starts providers through it.)
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect, it } from "vitest";
import { repoRoot } from "../support/env";

it("the dynamic-provider launcher, without @pulumi/pulumi in reach, fails naming the module", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "livemig-launcher-"));
    try {
        const r = spawnSync("sh", [path.join(repoRoot, "tools/dynamic-provider-launcher.sh")], { cwd: dir, encoding: "utf8", timeout: 30_000 });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("Cannot find module '@pulumi/pulumi/cmd/dynamic-provider'");
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});
