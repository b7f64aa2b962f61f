// Automatic recovery on the computes of a Masakari segment: a Corosync/Pacemaker cluster that fences a
// lost member through its BMC (STONITH) and then forces its compute service down in Nova, and Masakari's
// host, instance and process monitors, which report failures to Masakari only once the cluster fenced.
// Secrets (the cluster key, BMC and Keystone passwords) arrive on stdin and land in root-only files; the
// cluster configuration (CIB) names files and helpers, never a password.
import type { FenceDevice } from "../fencing/agent";
import { cmd, hostScript } from "./prelude";
import { shq } from "./quote";
import type { HostStep } from "./step";

export interface ClusterNode {
    name: string;
    address: string;
}

/** A member's power device as the cluster uses it (the password travels on stdin). */
export type ClusterFence = Omit<FenceDevice, "password"> & { host: string };

/** The Keystone login the monitors and fence_compute use (the password travels on stdin). */
export interface MonitorLogin {
    authUrl: string;
    username: string;
    projectName: string;
    userDomainName: string;
    projectDomainName: string;
    region: string;
}

export interface HaClusterSpec {
    /** The segment's name: the Corosync cluster name. */
    cluster: string;
    nodes: ClusterNode[];
    tokenMs: number;
    /** Every member's power device: any member may have to fence another. */
    fences: ClusterFence[];
    /** PEM CA bundles the Redfish BMCs' certificates chain to, installed into the system's CAs. */
    bmcCaPem?: string;
    login: MonitorLogin;
}

const DIR = "/etc/livemig/ha";
const LIBEXEC = "/usr/local/libexec/livemig";
/** Where the password of the BMC at `address` lives on every member. */
const bmcPasswordFile = (address: string) => `${DIR}/bmc-${address}.password`;
const BMC_CA = "/usr/local/share/ca-certificates/livemig-bmc.crt";

export function corosyncConf(spec: HaClusterSpec): string {
    const nodes = spec.nodes.map((n, i) => `    node {\n        name: ${n.name}\n        nodeid: ${i + 1}\n        ring0_addr: ${n.address}\n    }`).join("\n");
    return `# Written by livemig: the Corosync cluster of Masakari segment ${spec.cluster}.
totem {
    version: 2
    cluster_name: ${spec.cluster}
    transport: knet
    # A member silent for this long is lost, then fenced.
    token: ${spec.tokenMs}
    token_coefficient: 0
    crypto_cipher: aes256
    crypto_hash: sha256
}
nodelist {
${nodes}
}
quorum {
    provider: corosync_votequorum
    # No quorum (so no fencing) after a cold start until every member has been seen once: members that
    # boot a few seconds apart must not fence each other.
    wait_for_all: 1${spec.nodes.length === 2 ? "\n    two_node: 1" : ""}
}
logging {
    to_syslog: yes
    timestamp: on
}
`;
}

// fence_ipmilan hands ipmitool its password as -P (a command line anyone can read): the cluster gives it
// none and names this as its ipmitool, which reads the BMC's password from its root-only file instead.
const IPMITOOL_WRAPPER = `#!/bin/sh
# livemig: ipmitool for fence_ipmilan, with the BMC's password from ${DIR} (-f) instead of -P.
host=
for a do
  shift
  if [ -n "\${skip:-}" ]; then skip=; continue; fi
  case "$a" in -P) skip=1; continue ;; esac
  [ "\${prev:-}" = -H ] && host=$a
  prev=$a
  set -- "$@" "$a"
done
exec ipmitool -f "${DIR}/bmc-$host.password" "$@"
`;

// password_script of fence_redfish and fence_compute: prints one password file (its name a fixed word).
const SECRET_HELPER = `#!/bin/sh
# livemig: prints ${DIR}/$1.password for the fence agents' password_script.
case "$1" in *[!A-Za-z0-9._-]*|"") echo "bad name" >&2; exit 1 ;; esac
exec cat "${DIR}/$1.password"
`;

// Debian 12's fence_compute (fence-agents 4.12) calls inspect.getargspec, which Python 3.11 removed.
const FENCE_COMPUTE_SHIM = `#!/usr/bin/python3
# livemig: Debian's fence_compute, run unchanged with inspect.getargspec restored (gone in Python 3.11).
import inspect
import sys
if not hasattr(inspect, "getargspec"):
    inspect.getargspec = inspect.getfullargspec
sys.argv[0] = "/usr/sbin/fence_compute"
with open("/usr/sbin/fence_compute") as f:
    code = compile(f.read(), "/usr/sbin/fence_compute", "exec")
exec(code, {"__name__": "__main__", "__file__": "/usr/sbin/fence_compute"})
`;

const HELPERS: [string, string][] = [
    [`${LIBEXEC}/ipmitool`, IPMITOOL_WRAPPER],
    [`${LIBEXEC}/ha-secret`, SECRET_HELPER],
    ["/usr/sbin/fence_compute_livemig", FENCE_COMPUTE_SHIM],
];

// The token the running Corosync uses (token_coefficient is 0, so it is the configured one).
const runningToken = (tokenMs: number) =>
    `running_token() { corosync-cmapctl -g runtime.config.totem.token 2>/dev/null | sed -n 's/.* = //p'; }
token_ok() { [ "$(running_token)" = ${tokenMs} ]; }`;
/** The longest a member's restart of corosync or pacemaker may take before the step fails. */
const STOP_SECONDS = 120;

/** The order of this step's stdin secrets: cluster key (base64), each fence device's password, Keystone's. */
export function clusterSecretsOrder(spec: HaClusterSpec): string[] {
    return ["corosync authkey", ...spec.fences.map((f) => `${f.host}'s BMC password`), "Keystone password"];
}

/** One member: Corosync's config and key, the fencing helpers and passwords, Corosync and Pacemaker running. */
export function haClusterMember(spec: HaClusterSpec): HostStep & { delete: string } {
    const conf = corosyncConf(spec);
    const readSecrets = [
        "read_secret AUTHKEY_B64",
        ...spec.fences.map((_, i) => `read_secret BMC_PASSWORD_${i}`),
        "read_secret KEYSTONE_PASSWORD",
    ].join("\n");
    const putHelpers = HELPERS.map(([path, text]) => `put_file ${cmd(path, "755", "root:root")} <<'LIVEMIG_EOF'\n${text}LIVEMIG_EOF`).join("\n");
    const putPasswords = spec.fences.map((f, i) => `printf '%s' "$BMC_PASSWORD_${i}" | put_file ${cmd(bmcPasswordFile(f.address), "600", "root:root")}`).join("\n");
    const ca = spec.bmcCaPem
        ? `put_file ${cmd(BMC_CA, "644", "root:root")} <<'LIVEMIG_EOF'\n${spec.bmcCaPem.trim()}\nLIVEMIG_EOF\nif was_changed ${shq(BMC_CA)}; then update-ca-certificates >/dev/null; fi`
        : "";
    const create = `
${readSecrets}
install -d -m 0700 ${cmd(DIR)}
install -d -m 0755 ${cmd(LIBEXEC)}
${putHelpers}
${putPasswords}
printf '%s' "$KEYSTONE_PASSWORD" | put_file ${cmd(`${DIR}/keystone.password`, "600", "root:root")}
${ca}
printf '%s' "$AUTHKEY_B64" | base64 -d | put_file /etc/corosync/authkey 400 root:root
put_file /etc/corosync/corosync.conf 644 root:root <<'LIVEMIG_EOF'
${conf}LIVEMIG_EOF
enable_units corosync.service pacemaker.service
${runningToken(spec.tokenMs)}
# Restart only for a new key or a stopped corosync. A running cluster takes new timings (and members) by a
# reload on every member, as Corosync documents: restarting pacemaker under a live cluster can wait for
# its peers for up to the unit's 30 min stop timeout.
restart_stack() {
  timeout ${STOP_SECONDS} systemctl stop pacemaker.service || { echo "$(hostname): pacemaker did not stop within ${STOP_SECONDS} s (its stop goes on: journalctl -u pacemaker); run pulumi up again once it stopped" >&2; exit 1; }
  timeout ${STOP_SECONDS} systemctl restart corosync.service
  timeout ${STOP_SECONDS} systemctl start pacemaker.service
  echo "corosync and pacemaker (re)started"
}
if was_changed /etc/corosync/authkey || ! systemctl is-active --quiet corosync.service; then
  restart_stack
elif was_changed /etc/corosync/corosync.conf || ! token_ok; then
  corosync-cfgtool -R >/dev/null || true
  for _ in 1 2 3 4 5; do token_ok && break; sleep 1; done
  if token_ok; then echo "corosync reloaded its configuration (token ${spec.tokenMs} ms)"; else restart_stack; fi
fi
systemctl is-active --quiet pacemaker.service || timeout ${STOP_SECONDS} systemctl start pacemaker.service
systemctl is-active --quiet corosync.service || { journalctl -u corosync --no-pager -n 20 >&2; exit 1; }
systemctl is-active --quiet pacemaker.service || { journalctl -u pacemaker --no-pager -n 20 >&2; exit 1; }`;
    // The check reads the same secrets from stdin, so it compares files without hashes of them in the state.
    const same = (file: string, mode: string, source: string) =>
        `if [ ! -f ${shq(file)} ] || ! cmp -s ${shq(file)} <(${source}) || [ "$(stat -c %a ${shq(file)})" != ${shq(mode)} ]; then echo "DRIFT ${file} differs"; fi`;
    const check = `
${readSecrets}
${HELPERS.map(([path, text]) => same(path, "755", `cat <<'LIVEMIG_EOF'\n${text}LIVEMIG_EOF\n`)).join("\n")}
${spec.fences.map((f, i) => same(bmcPasswordFile(f.address), "600", `printf '%s' "$BMC_PASSWORD_${i}"`)).join("\n")}
${same(`${DIR}/keystone.password`, "600", `printf '%s' "$KEYSTONE_PASSWORD"`)}
${same("/etc/corosync/authkey", "400", `printf '%s' "$AUTHKEY_B64" | base64 -d`)}
${same("/etc/corosync/corosync.conf", "644", `cat <<'LIVEMIG_EOF'\n${conf}LIVEMIG_EOF\n`)}
unit_check_enabled corosync.service
unit_check_enabled pacemaker.service
unit_check_active corosync.service
unit_check_active pacemaker.service
${runningToken(spec.tokenMs)}
if systemctl is-active --quiet corosync.service && ! token_ok; then echo "DRIFT corosync runs with a token of $(running_token) ms (want ${spec.tokenMs})"; fi`;
    // Leaving the segment: the cluster stops here, so nothing fences anyone any more (and nothing guards).
    const remove = `
systemctl disable --now --quiet pacemaker.service corosync.service 2>/dev/null || true
rm -f /etc/corosync/corosync.conf /etc/corosync/authkey ${HELPERS.map(([p]) => shq(p)).join(" ")}
rm -rf ${cmd(DIR)}
rm -f /var/lib/pacemaker/cib/cib*`;
    return {
        create: hostScript(`configure the ${spec.cluster} cluster member`, create),
        check: hostScript(`check the ${spec.cluster} cluster member`, check),
        delete: hostScript(`remove the ${spec.cluster} cluster member`, remove),
    };
}

/** The cluster's configuration (crmsh syntax): STONITH through each BMC, then Nova's force-down, per member. */
export function clusterConfig(spec: HaClusterSpec): string {
    const q = (v: string | number) => `"${String(v).replace(/["\\]/g, "")}"`;
    const lines = [
        // off, not reboot: a fenced host stays down until someone brings it back (its servers run elsewhere).
        `property cib-bootstrap-options: stonith-enabled=true stonith-action=off stonith-timeout=60s no-quorum-policy=stop cluster-recheck-interval=60s`,
    ];
    for (const f of spec.fences) {
        const params: [string, string | number | undefined][] =
            f.agent === "fence_ipmilan"
                ? [["ip", f.address], ["ipport", f.port], ["username", f.username], ["lanplus", f.lanplus === false ? 0 : 1], ["cipher", f.cipher], ["privlvl", f.privilegeLevel], ["ipmitool_path", `${LIBEXEC}/ipmitool`]]
                : [["ip", f.address], ["ipport", f.port], ["username", f.username], ["password_script", `${LIBEXEC}/ha-secret bmc-${f.address}`], ["systems_uri", f.systemsUri]];
        const p = params.filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${q(v!)}`).join(" ");
        lines.push(`primitive fence-${f.host} stonith:${f.agent} params ${p} pcmk_host_list=${q(f.host)} pcmk_host_check=static-list op monitor interval=60s`);
        // A host never fences itself.
        lines.push(`location fence-${f.host}-elsewhere fence-${f.host} -inf: ${f.host}`);
    }
    const l = spec.login;
    lines.push(
        `primitive nova-force-down stonith:fence_compute_livemig params auth_url=${q(l.authUrl)} username=${q(l.username)} ` +
            `password_script=${q(`${LIBEXEC}/ha-secret keystone`)} tenant_name=${q(l.projectName)} user_domain=${q(l.userDomainName)} ` +
            `project_domain=${q(l.projectDomainName)} region_name=${q(l.region)} endpoint_type=public record_only=1 ` +
            `pcmk_host_list=${q(spec.nodes.map((n) => n.name).join(" "))} pcmk_host_check=static-list op monitor interval=600s`,
    );
    // One level per member: its BMC powers it off, then Nova learns it is down; both must succeed.
    lines.push(`fencing_topology ${spec.fences.map((f) => `${f.host}: fence-${f.host},nova-force-down`).join(" ")}`);
    return `${lines.join("\n")}\n`;
}

/** Run on one member: waits until every member is online, then replaces the cluster's configuration. */
export function haClusterResources(spec: HaClusterSpec, waitSeconds = 180): HostStep {
    const config = clusterConfig(spec);
    const names = spec.nodes.map((n) => n.name);
    const online = `crm_mon -1 -X 2>/dev/null | grep -o '<node name="[^"]*"[^>]* online="true"' | sed 's/<node name="\\([^"]*\\)".*/\\1/' | sort | tr '\\n' ' '`;
    const want = [...names].sort().join(" ") + " ";
    const create = `
all_online() { [ "$(${online})" = ${shq(want)} ]; }
wait_for ${waitSeconds} all_online || { echo "cluster ${spec.cluster}: members online after ${waitSeconds} s: $(${online}) (want: ${want})" >&2; crm_mon -1 >&2 || true; exit 1; }
cfg=$(mktemp)
cat > "$cfg" <<'LIVEMIG_EOF'
${config}LIVEMIG_EOF
# A member that just joined makes the DC write it into the configuration (its node entry, dc-version), so a
# replace computed a moment before is refused as out of date (crmsh then fails on its own error path): retry.
out=$(mktemp)
for try in 1 2 3 4 5 6 7 8 9 10; do
  crm -w configure load replace "$cfg" >"$out" 2>&1 && break
  [ "$try" -lt 10 ] || { tail -n 20 "$out" >&2; echo "cluster ${spec.cluster}: its configuration was refused 10 times (crm configure load replace; see above and: crm_mon -1)" >&2; exit 1; }
  sleep 3
done
rm -f "$cfg" "$out"
echo "cluster ${spec.cluster}: ${names.length} members online, ${spec.fences.length} fence devices configured"`;
    const check = `
# Nothing online (a rebuilt host, pacemaker stopped) is drift, not a failed check.
on=$(${online} || true)
[ "$on" = ${shq(want)} ] || echo "DRIFT cluster ${spec.cluster}: members online: \${on:-none} (want: ${want})"
${spec.fences.map((f) => `crm_resource --resource ${shq(`fence-${f.host}`)} --query-xml >/dev/null 2>&1 || echo "DRIFT cluster ${spec.cluster}: fence device fence-${f.host} is not configured"`).join("\n")}
[ "$(crm_attribute --type crm_config --name stonith-enabled --query --quiet 2>/dev/null)" = true ] || echo "DRIFT cluster ${spec.cluster}: stonith-enabled is not true"`;
    return { create: hostScript(`configure the ${spec.cluster} cluster's fencing`, create), check: hostScript(`check the ${spec.cluster} cluster's fencing`, check) };
}

export interface MonitorsSpec {
    /** This host's name in the cluster and in Masakari. */
    host: string;
    login: MonitorLogin;
    hostMonitorIntervalSeconds: number;
    processCheckIntervalSeconds: number;
    processRestartRetries: number;
    /** The cluster's network interface (the host monitor watches Corosync's traffic on it). */
    interface: string;
}

const MONITOR_UNITS = ["masakari-host-monitor.service", "masakari-instance-monitor.service", "masakari-process-monitor.service"];
const MONITORS_CONF = "/etc/masakarimonitors/masakarimonitors.conf";
const PROCESS_LIST = "/etc/masakarimonitors/process_list.yaml";
// One supervisor for nova-compute: the process monitor restarts it and reports it to Masakari when it
// cannot; systemd restarting it too would hide failures from both.
const NOVA_DROPIN = "/etc/systemd/system/nova-compute.service.d/livemig-ha.conf";

export function monitorsConf(spec: MonitorsSpec): string {
    const l = spec.login;
    return `# Written by livemig: Masakari's monitors on ${spec.host}. The [api] password is appended from a secret.
[DEFAULT]
host = ${spec.host}
[host]
monitoring_driver = default
monitoring_interval = ${spec.hostMonitorIntervalSeconds}
# "Is the failed host off?" is answered by Pacemaker's fencing history (see HOST_MONITOR): a lost member
# is reported NORMAL (recovered) once fenced, else UNKNOWN (ignored by Masakari).
disable_ipmi_check = false
pacemaker_node_type = cluster
corosync_multicast_interfaces = ${spec.interface}
corosync_multicast_ports = 5405
[process]
process_list_path = ${PROCESS_LIST}
check_interval = ${spec.processCheckIntervalSeconds}
restart_retries = ${spec.processRestartRetries}
restart_interval = 2
[libvirt]
connection_uri = qemu:///system
[api]
auth_type = password
auth_url = ${l.authUrl}
username = ${l.username}
project_name = ${l.projectName}
user_domain_name = ${l.userDomainName}
project_domain_name = ${l.projectDomainName}
region = ${l.region}
api_interface = public
`;
}

// nova-compute only: libvirtd is socket-activated (and exits when idle); systemd brings it back on demand.
const PROCESSES = `# Written by livemig: what Masakari's process monitor keeps running on this compute.
-
    process_name: /usr/bin/nova-compute
    start_command: systemctl start nova-compute
    pre_start_command:
    post_start_command:
    restart_command: systemctl restart nova-compute
    pre_restart_command:
    post_restart_command:
    run_as_root: True
`;

// Masakari's host monitor reports a lost member as soon as its local Pacemaker sees it offline; only the
// cluster's DC waits for the fencing to finish, so the other members' monitors report before the host is
// confirmed off. Masakari recovers only reports whose host_status is NORMAL, which the monitor sets when
// its "IPMI check" finds the host powered off: a second ipmitool call with the BMC password on its command
// line and in the cluster configuration. Here that check asks Pacemaker instead: NORMAL once the cluster's
// fencing of the host (its BMC reported it off, then Nova forced its service down) succeeded since the
// monitor last saw it online, UNKNOWN if it does not within 90 s. The monitor is otherwise Debian's.
const HOST_MONITOR = `#!/usr/bin/python3
# livemig: Masakari's host monitor; its power-off check reads Pacemaker's fencing history.
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import eventlet
from masakarimonitors import utils
from masakarimonitors.cmd import hostmonitor
from masakarimonitors.hostmonitor.host_handler import handle_host

WAIT = 90  # s; Pacemaker's stonith-timeout is 60


def fenced(self, hostname):
    # A fencing that finished before the monitor last saw the host online was for an earlier failure.
    conf = handle_host.CONF.host
    since = datetime.now(timezone.utc) - timedelta(seconds=conf.monitoring_interval * conf.monitoring_samples + 10)
    for _ in range(WAIT):
        try:
            # --verbose: without it stonith_admin lists only the oldest successful fencing of the host.
            out, _err = utils.execute("stonith_admin", "--history", hostname, "--verbose", "--output-as=xml", run_as_root=True)
            for ev in ET.fromstring(out).iter("fence_event"):
                if ev.get("target") != hostname or ev.get("status") != "success" or ev.get("action") not in ("off", "reboot"):
                    continue
                done = datetime.strptime(ev.get("completed", ""), "%Y-%m-%d %H:%M:%SZ").replace(tzinfo=timezone.utc)
                if done >= since:
                    handle_host.LOG.info("%s was fenced by the cluster at %s", hostname, done)
                    return True
        except Exception as e:
            handle_host.LOG.warning("reading the fencing history of %s: %s", hostname, e)
        eventlet.greenthread.sleep(1)
    handle_host.LOG.error("%s is offline but was not fenced within %s s: reporting it UNKNOWN (no recovery)", hostname, WAIT)
    return False


handle_host.HandleHost._is_poweroff = fenced
sys.argv[0] = "masakari-hostmonitor"
sys.exit(hostmonitor.main())
`;
const HOST_MONITOR_PATH = `${LIBEXEC}/masakari-hostmonitor`;

// Debian's init scripts start the monitors with --config-file=/etc/masakari/masakari.conf (the API's
// file, absent on a compute); these drop-ins run them with their own, logging to the journal.
const MONITOR_BINARIES: Record<string, string> = {
    "masakari-host-monitor.service": HOST_MONITOR_PATH,
    "masakari-instance-monitor.service": "/usr/bin/masakari-instancemonitor",
    "masakari-process-monitor.service": "/usr/bin/masakari-processmonitor",
};
const monitorDropin = (unit: string) => `/etc/systemd/system/${unit}.d/livemig.conf`;
const monitorDropinText = (unit: string) => `[Service]\nExecStart=\nExecStart=${MONITOR_BINARIES[unit]} --config-file=${MONITORS_CONF}\n`;

/** Masakari's three monitors on one member (the [api] password on stdin). */
export function haMonitors(spec: MonitorsSpec): HostStep & { delete: string } {
    const conf = monitorsConf(spec);
    const dropin = "[Service]\nRestart=no\n";
    const body = (check: boolean) => `
read_secret KEYSTONE_PASSWORD
want=$(mktemp); trap 'rm -f "$want"' EXIT
{ cat <<'LIVEMIG_EOF'
${conf}LIVEMIG_EOF
printf 'password = %s\\n' "$KEYSTONE_PASSWORD"; } > "$want"
${
    check
        ? `cmp -s "$want" ${MONITORS_CONF} && [ "$(stat -c '%a %U:%G' ${MONITORS_CONF})" = "640 root:masakari" ] || echo "DRIFT ${MONITORS_CONF} differs"
cmp -s ${PROCESS_LIST} <(cat <<'LIVEMIG_EOF'
${PROCESSES}LIVEMIG_EOF
) || echo "DRIFT ${PROCESS_LIST} differs"
cmp -s ${HOST_MONITOR_PATH} <(cat <<'LIVEMIG_EOF'
${HOST_MONITOR}LIVEMIG_EOF
) || echo "DRIFT ${HOST_MONITOR_PATH} differs"
[ "$(cat ${NOVA_DROPIN} 2>/dev/null)" = "$(printf '${dropin.replace(/\n/g, "\\n")}')" ] || echo "DRIFT ${NOVA_DROPIN} differs"
${MONITOR_UNITS.map((u) => `[ "$(cat ${monitorDropin(u)} 2>/dev/null)" = "$(printf '${monitorDropinText(u)}')" ] || echo "DRIFT ${monitorDropin(u)} differs"`).join("\n")}
${MONITOR_UNITS.map((u) => `unit_check_enabled ${u}\nunit_check_active ${u}`).join("\n")}`
        : `install -d -m 0755 ${cmd(LIBEXEC)}
put_file ${cmd(HOST_MONITOR_PATH, "755", "root:root")} <<'LIVEMIG_EOF'
${HOST_MONITOR}LIVEMIG_EOF
put_file ${MONITORS_CONF} 640 root:masakari < "$want"
put_file ${PROCESS_LIST} 644 root:root <<'LIVEMIG_EOF'
${PROCESSES}LIVEMIG_EOF
install -d -m 0755 ${cmd(NOVA_DROPIN.replace(/\/[^/]+$/, ""))}
printf '${dropin.replace(/\n/g, "\\n")}' | put_file ${NOVA_DROPIN} 644 root:root
${MONITOR_UNITS.map((u) => `install -d -m 0755 ${cmd(monitorDropin(u).replace(/\/[^/]+$/, ""))}\nprintf '${monitorDropinText(u)}' | put_file ${monitorDropin(u)} 644 root:root`).join("\n")}
if [ \${#CHANGED[@]} -gt 0 ]; then systemctl daemon-reload; fi
enable_units ${MONITOR_UNITS.join(" ")}
if [ \${#CHANGED[@]} -gt 0 ]; then systemctl restart ${MONITOR_UNITS.join(" ")}; echo "masakari monitors (re)started"
else for u in ${MONITOR_UNITS.join(" ")}; do systemctl is-active --quiet "$u" || systemctl start "$u"; done; fi
sleep 2 # a monitor with a bad config exits after its start
for u in ${MONITOR_UNITS.join(" ")}; do systemctl is-active --quiet "$u" || { journalctl -u "$u" --no-pager -n 20 >&2; exit 1; }; done`
}`;
    const remove = `
systemctl disable --now --quiet ${MONITOR_UNITS.join(" ")} 2>/dev/null || true
rm -f ${NOVA_DROPIN} ${HOST_MONITOR_PATH} ${MONITOR_UNITS.map(monitorDropin).join(" ")}
systemctl daemon-reload`;
    return {
        create: hostScript(`configure Masakari's monitors`, body(false)),
        check: hostScript(`check Masakari's monitors`, body(true)),
        delete: hostScript(`remove Masakari's monitors`, remove),
    };
}
