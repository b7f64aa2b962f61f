// The lab's pid files, by bash with the real lab/lib/common.sh: the lab and the BMCs poll them while a
// host or daemon starts, so a record is replaced whole or not at all.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const COMMON = path.resolve(__dirname, "../../lab/lib/common.sh");

describe("the lab's pid files", () => {
    let dir: string;
    let file: string;
    beforeEach(() => {
        dir = mkdtempSync(path.join(tmpdir(), "livemig-pidfile-"));
        file = path.join(dir, "host.pid");
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const bash = (script: string, pathPrefix = "") =>
        spawnSync("bash", ["-c", `set -u; . "$1"; ${script}`, "bash", COMMON, file], {
            encoding: "utf8",
            env: { PATH: `${pathPrefix}${process.env.PATH}`, HOME: dir },
        });

    it("record a live process and its start time, which pidfile_pid reads back; nothing is left aside", () => {
        const run = bash(`pidfile_write "$2" "$$" && echo "$$" && pidfile_pid "$2"`);
        expect(run.status, run.stderr).toBe(0);
        const [self, read] = run.stdout.trim().split("\n");
        expect(read).toBe(self);
        expect(readFileSync(file, "utf8")).toMatch(new RegExp(`^${self} \\d+\\n$`));
        expect(existsSync(`${file}.new`)).toBe(false);
    });

    it("record the start time the BMCs compare (field 22 of /proc/PID/stat), whatever the command's name", () => {
        // A name with ") " and spaces: the fields are counted after the last closing parenthesis.
        const run = bash(`printf 'a) b c' > /proc/$$/comm && pidfile_write "$2" "$$" && echo "$$" && cat /proc/$$/stat`);
        expect(run.status, run.stderr).toBe(0);
        const [pid, stat] = run.stdout.split("\n");
        expect(stat).toContain("(a) b c)");
        // The test's own reading of the same line: fields 3 on follow the last ") ".
        const starttime = stat!.slice(stat!.lastIndexOf(") ") + 2).split(" ")[19];
        expect(starttime).toMatch(/^\d+$/);
        expect(readFileSync(file, "utf8")).toBe(`${pid} ${starttime}\n`);
    });

    it("keep the previous record whole when the new one cannot be put in place", () => {
        writeFileSync(file, "123 456\n");
        // An mv that fails after the new record was written aside, as a full disk or a crash would leave it.
        writeFileSync(path.join(dir, "mv"), `#!/bin/sh\necho "$*" > ${dir}/mv-called\nexit 1\n`);
        chmodSync(path.join(dir, "mv"), 0o755);
        const run = bash(`pidfile_write "$2" "$$"`, `${dir}:`);
        expect(run.status, run.stderr).toBe(1);
        expect(readFileSync(path.join(dir, "mv-called"), "utf8")).toBe(`-f ${file}.new ${file}\n`);
        expect(readFileSync(file, "utf8")).toBe("123 456\n");
    });

    it("refuse a process that is gone, and write nothing", () => {
        const run = bash(`pidfile_write "$2" 999999999`);
        expect(run.status, run.stderr).toBe(1);
        expect(run.stderr).toBe("");
        expect(existsSync(file)).toBe(false);
        expect(existsSync(`${file}.new`)).toBe(false);
    });
});
