// The HA host scripts' rendered configuration: Corosync's cluster, Pacemaker's fencing, the monitors'.
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { clusterConfig, corosyncConf, haClusterMember, haClusterResources, monitorsConf, type HaClusterSpec } from "../../lib/hostscripts/ha";
import { withPrelude } from "../../lib/hostscripts/prelude";

const spec: HaClusterSpec = {
    cluster: "lab-computes",
    nodes: [
        { name: "compute-1", address: "10.77.0.11" },
        { name: "compute-2", address: "10.77.0.12" },
        { name: "compute-3", address: "10.77.0.13" },
    ],
    tokenMs: 1000,
    fences: [
        { host: "compute-1", agent: "fence_ipmilan", address: "10.77.0.111", username: "admin" },
        { host: "compute-2", agent: "fence_ipmilan", address: "10.77.0.112", username: "admin", lanplus: false },
        { host: "compute-3", agent: "fence_redfish", address: "10.77.0.113", username: "admin", systemsUri: "/redfish/v1/Systems/1" },
    ],
    login: { authUrl: "http://10.77.0.1:5000/v3", username: "masakari", projectName: "service", userDomainName: "Default", projectDomainName: "Default", region: "RegionOne" },
};

describe("HA host scripts", () => {
    it("render Corosync's nodelist with the token and quorum; two members get two_node", () => {
        const conf = corosyncConf(spec);
        expect(conf).toContain("token: 1000");
        expect(conf).toMatch(/name: compute-3\n\s+nodeid: 3\n\s+ring0_addr: 10\.77\.0\.13/);
        expect(conf).not.toContain("two_node");
        expect(corosyncConf({ ...spec, nodes: spec.nodes.slice(0, 2) })).toContain("two_node: 1");
    });

    it("fence each member through its BMC, then Nova's force-down, and never by itself; no password in the CIB", () => {
        const cib = clusterConfig(spec);
        expect(cib).toContain("stonith-enabled=true stonith-action=off");
        expect(cib).toMatch(/primitive fence-compute-1 stonith:fence_ipmilan params ip="10\.77\.0\.111" username="admin" lanplus="1" ipmitool_path="\/usr\/local\/libexec\/livemig\/ipmitool" pcmk_host_list="compute-1"/);
        expect(cib).toContain('lanplus="0"');
        expect(cib).toMatch(/primitive fence-compute-3 stonith:fence_redfish params ip="10\.77\.0\.113" username="admin" password_script="\/usr\/local\/libexec\/livemig\/ha-secret bmc-10\.77\.0\.113"/);
        expect(cib).toContain("location fence-compute-2-elsewhere fence-compute-2 -inf: compute-2");
        expect(cib).toContain("fencing_topology compute-1: fence-compute-1,nova-force-down compute-2: fence-compute-2,nova-force-down compute-3: fence-compute-3,nova-force-down");
        expect(cib).not.toMatch(/password=/);
    });

    it("read every secret from stdin, never from the script text", () => {
        const { create, check } = haClusterMember(spec);
        for (const text of [create, check]) {
            expect(text).toContain("read_secret AUTHKEY_B64");
            expect(text).toContain("read_secret BMC_PASSWORD_2");
            expect(text).toContain("read_secret KEYSTONE_PASSWORD");
        }
        expect(create).toContain("/etc/livemig/ha/bmc-10.77.0.112.password");
    });

    it("configure the monitors for this host, fencing left to Pacemaker", () => {
        const conf = monitorsConf({ host: "compute-2", login: spec.login, interface: "eth0", hostMonitorIntervalSeconds: 2, processCheckIntervalSeconds: 3, processRestartRetries: 3 });
        expect(conf).toMatch(/\[DEFAULT\]\nhost = compute-2/);
        expect(conf).toContain("disable_ipmi_check = false"); // answered by Pacemaker's fencing history
        expect(conf).toContain("monitoring_interval = 2");
        expect(conf.trimEnd().split("\n").pop()).toBe("api_interface = public"); // the password line follows, from a secret
    });

    // The lab test runs this against real Pacemaker, where a member's late join refuses the replace only now
    // and then; here a stub crm refuses it a given number of times (sleep is a stub too: no waiting).
    function fencingStep(refusals: number) {
        const dir = mkdtempSync(path.join(tmpdir(), "livemig-crm-"));
        const stub = (name: string, body: string) => {
            writeFileSync(path.join(dir, name), `#!/bin/bash\n${body}\n`);
            chmodSync(path.join(dir, name), 0o755);
        };
        stub("crm_mon", spec.nodes.map((n) => `echo '<node name="${n.name}" id="1" online="true" standby="false"/>'`).join("\n"));
        stub("sleep", "exit 0");
        stub("crm", `n=$(cat ${dir}/tries 2>/dev/null || echo 0); echo $((n + 1)) > ${dir}/tries
if [ "$n" -lt ${refusals} ]; then echo "NameError: name 'cibadmin_opt' is not defined" >&2; exit 1; fi
cp "\${@: -1}" ${dir}/loaded`);
        const r = spawnSync("bash", ["-c", withPrelude(haClusterResources(spec).create)], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: "utf8" });
        const read = (f: string) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), "utf8") : "");
        const out = { ...r, tries: Number(read("tries")), loaded: read("loaded") };
        rmSync(dir, { recursive: true, force: true });
        return out;
    }

    it("load the fencing configuration again when a member's join made the first replace out of date", () => {
        const r = fencingStep(3);
        expect(r.status, r.stderr).toBe(0);
        expect(r.tries).toBe(4);
        expect(r.loaded).toBe(clusterConfig(spec));
        expect(r.stdout).toContain("cluster lab-computes: 3 members online, 3 fence devices configured");
    });

    it("give up after 10 refusals with crmsh's last words and what to look at", () => {
        const r = fencingStep(100);
        expect(r.status).not.toBe(0);
        expect(r.tries).toBe(10);
        expect(r.stderr).toContain("NameError: name 'cibadmin_opt' is not defined");
        expect(r.stderr).toContain("cluster lab-computes: its configuration was refused 10 times (crm configure load replace; see above and: crm_mon -1)");
    });
});
