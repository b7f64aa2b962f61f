// The GitHub Actions workflow users copy: linted by actionlint (built from its Go module), and checked
// for what it promises — a preview with drift on pull requests, `pulumi up` on main.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../support/env";

const WORKFLOW = path.join(repoRoot, ".github/workflows/pulumi.yml");
const ACTIONLINT = path.join(repoRoot, "tools/actionlint/actionlint");

function lint(file: string): { code: number; out: string } {
    try {
        return { code: 0, out: execFileSync(ACTIONLINT, [file], { encoding: "utf8", stdio: "pipe" }) };
    } catch (err) {
        const e = err as { status: number; stdout: string; stderr: string };
        return { code: e.status, out: `${e.stdout}${e.stderr}` };
    }
}

describe("the GitHub Actions workflow", () => {
    it("passes actionlint", () => {
        expect(lint(WORKFLOW)).toEqual({ code: 0, out: "" });
    }, 300_000);

    it("is a workflow actionlint would reject if it were broken", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "livemig-wf-"));
        try {
            const broken = path.join(dir, "broken.yml");
            writeFileSync(broken, readFileSync(WORKFLOW, "utf8").replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04"));
            const r = lint(broken);
            expect(r.code).not.toBe(0);
            expect(r.out).toMatch(/runs_on|runs-on/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    }, 300_000);

    it("previews with refresh on pull requests and runs up on main, one at a time", () => {
        const wf = parse(readFileSync(WORKFLOW, "utf8"));
        expect(Object.keys(wf.on)).toEqual(["pull_request", "push"]);
        expect(wf.concurrency["cancel-in-progress"]).toBe(false);
        const step = (job: string) => wf.jobs[job].steps.find((s: { uses?: string }) => s.uses?.startsWith("pulumi/actions@"));
        expect(wf.jobs.preview.if).toBe("github.event_name == 'pull_request'");
        expect(step("preview").with).toMatchObject({ command: "preview", refresh: true, "comment-on-pr": true });
        expect(wf.jobs.up.if).toBe("github.event_name == 'push'");
        expect(step("up").with).toMatchObject({ command: "up", refresh: true });
        // The engine pinned by the workflow is the project's.
        const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
        expect(wf.env.PULUMI_VERSION).toBe(pkg.dependencies["@pulumi/pulumi"]);
        // Secrets only through the secrets context, never inline.
        expect(readFileSync(WORKFLOW, "utf8")).not.toMatch(/PASSPHRASE:\s*[^$\s]/);
    });
});
