// After the lab tests (./run test runs this last): no secret the suite handled appears in clear in any
// Pulumi state or backup, in the logs the lab writes, or in any process command line sampled while the
// suite ran (test/support/cmdlineSampler.ts: this machine's and the lab hosts' processes).
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CMDLINES_DIR, execProbes } from "../support/cmdlineSampler";
import { repoRoot } from "../support/env";
import { onHost } from "../support/lab";
import { TEST_SASL_PASSWORDS } from "../support/secrets";

const LAB = "/var/lib/livemig-lab";

function files(dir: string): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { recursive: true, encoding: "utf8" })
        .map((f) => path.join(dir, f))
        .filter((f) => statSync(f).isFile());
}

/** Every secret the suite handled, by name; each a value long enough to mean something when found. */
async function secrets(): Promise<Map<string, string>> {
    const s = new Map<string, string>();
    // The SSH private key every host script logs in with: each line of its body.
    const key = readFileSync(`${LAB}/ssh/id_ed25519`, "utf8").split("\n").filter((l) => l.length > 40 && !l.startsWith("-----"));
    key.forEach((l, i) => s.set(`SSH private key (line ${i + 1})`, l));
    // The lab's OpenStack passwords (Keystone users, the monitors' login, RabbitMQ, databases).
    for (const line of readFileSync(`${LAB}/openstack/secrets`, "utf8").split("\n")) {
        const [k, v] = [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)];
        if (k && v.length >= 8) s.set(`OpenStack ${k}`, v);
    }
    // The BMC passwords (fence devices).
    for (const line of readFileSync(path.join(repoRoot, "lab/bmc/credentials"), "utf8").split("\n")) {
        const [host, , password] = line.trim().split(/\s+/);
        if (host && !host.startsWith("#") && password) s.set(`BMC password of ${host}`, password);
    }
    for (const [test, pw] of Object.entries(TEST_SASL_PASSWORDS)) s.set(`SASL password (${test} test)`, pw);
    // The computes' Ceph key (client.cinder).
    s.set("Ceph key of client.cinder", readFileSync(path.join(repoRoot, "lab/ceph/client.cinder.key"), "utf8").trim());
    // The libvirt host keys the last stack left on the computes (their CA's key is found by the PEM rule below).
    for (const host of ["compute-1", "compute-2", "compute-3"]) {
        const pem = (await onHost(host, "cat /etc/pki/libvirt/private/serverkey.pem 2>/dev/null")).stdout;
        pem.split("\n").filter((l) => l.length > 40 && !l.startsWith("-----")).slice(0, 3).forEach((l, i) => s.set(`libvirt key of ${host} (line ${i + 1})`, l));
    }
    return s;
}

const PEM_PRIVATE_KEY = /-----BEGIN (RSA |EC |OPENSSH |ENCRYPTED )?PRIVATE KEY-----/;

function findings(name: string, text: string, known: Map<string, string>): string[] {
    const found = [...known].filter(([, v]) => text.includes(v)).map(([what]) => `${what} in ${name}`);
    // Any private key in clear (the CA's key is a Pulumi secret: encrypted in the state, never in clear).
    if (PEM_PRIVATE_KEY.test(text.replace(/\\n/g, "\n"))) found.push(`a PEM private key in ${name}`);
    return found;
}

describe("secrets after the whole suite", () => {
    it("are in no Pulumi state, backup or history file", async () => {
        const known = await secrets();
        expect(known.size).toBeGreaterThan(10);
        const state = files(path.join(repoRoot, ".pulumi-state")).filter((f) => path.dirname(f) !== CMDLINES_DIR);
        expect(state.length).toBeGreaterThan(0);
        expect(state.flatMap((f) => findings(f, readFileSync(f, "utf8"), known))).toEqual([]);
    });

    it("are in no log the lab writes", async () => {
        const known = await secrets();
        const logs = [...files(`${LAB}/openstack/logs`), ...files(`${LAB}/bmc`).filter((f) => f.endsWith(".log")), ...readdirSync(LAB).filter((f) => f.endsWith(".log")).map((f) => path.join(LAB, f))];
        expect(logs.length).toBeGreaterThan(5);
        expect(logs.flatMap((f) => findings(f, readFileSync(f, "utf8"), known))).toEqual([]);
    });

    it("were on no process's command line while the suite ran", async () => {
        const known = await secrets();
        // One file per lab project (lane); every lane ran.
        const samples = readdirSync(CMDLINES_DIR).filter((f) => /^cmdlines-lab-.*\.json$/.test(f));
        expect(samples.sort()).toEqual(["cmdlines-lab-bare.json", "cmdlines-lab-cloud.json", "cmdlines-lab-faults.json", "cmdlines-lab-hosts.json"]);
        const byLane = samples.map((f) => ({ lane: f.replace(/^cmdlines-|\.json$/g, ""), cmdlines: (JSON.parse(readFileSync(path.join(CMDLINES_DIR, f), "utf8")) as { cmdlines: string[] }).cmdlines }));
        // Each lane's recorder caught, with their arguments, all the millisecond-long commands it ran once ready.
        for (const { lane, cmdlines } of byLane) {
            const missed = execProbes(lane).filter((p) => !cmdlines.some((c) => c.includes(p)));
            expect(missed, `${lane}: the exec recorder missed these commands`).toEqual([]);
        }
        const cmdlines = byLane.flatMap((x) => x.cmdlines);
        // The recorders saw the suite's work: host scripts' bootstrap shells, providers, fence agents.
        expect(cmdlines.some((c) => c.includes("livemig-script"))).toBe(true);
        expect(cmdlines.some((c) => c.includes("dynamic-provider"))).toBe(true);
        expect(cmdlines.flatMap((c) => findings(`the command line "${c.slice(0, 80)}…"`, c, known))).toEqual([]);
    });
});
