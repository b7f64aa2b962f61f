// A compute as a client of an existing Ceph cluster: its client config and keyring, the libvirt secret
// that holds the key (QEMU opens RBD volumes and disks with it), and nova's [libvirt] RBD settings —
// for Cinder's RBD volumes, and, when `instanceDisksPool` is set, instance disks as RBD images
// (images_type = rbd). The key arrives on stdin and is never printed. nova-compute restarts only when
// nova.conf changed.
import { cmd, hostScript, oneLine, putFile } from "./prelude";
import { shq } from "./quote";
import type { HostStep } from "./step";

export interface CephClientSpec {
    /** nova.conf */
    configPath: string;
    /** mon_host entries: "10.0.0.1", "mon-1:6789". */
    monitors: string[];
    fsid?: string;
    /** The cephx user, without "client.". */
    user: string;
    /** The libvirt secret's UUID (the same as Cinder's rbd_secret_uuid). */
    secretUuid: string;
    /** Instance disks as RBD images in this pool; undefined: they stay files (local disk or the Gluster store). */
    instanceDisksPool?: string;
}

export const CEPH_CONF = "/etc/ceph/ceph.conf";
export const keyringPath = (user: string) => `/etc/ceph/ceph.client.${user}.keyring`;

/** The client config every compute gets (no secrets in it). */
export function cephClientConf(spec: Pick<CephClientSpec, "monitors" | "fsid">): string {
    const lines = ["# Written by livemig: this host's client settings for the Ceph cluster", "[global]"];
    if (spec.fsid) lines.push(`fsid = ${oneLine("ceph fsid", spec.fsid)}`);
    lines.push(`mon_host = ${spec.monitors.map((m) => oneLine("ceph monitor", m)).join(",")}`);
    // A client that cannot reach a monitor would otherwise hang for minutes (the default mount timeout).
    lines.push("[client]", "client_mount_timeout = 30", "rados_connect_timeout = 30");
    return `${lines.join("\n")}\n`;
}

/** nova.conf [libvirt] settings this step owns: set, and (for file-backed disks) the RBD ones removed. */
export function cephNovaSettings(spec: CephClientSpec): { set: [string, string][]; unset: string[] } {
    const set: [string, string][] = [
        ["rbd_user", spec.user],
        ["rbd_secret_uuid", spec.secretUuid],
    ];
    const disks: [string, string][] = spec.instanceDisksPool
        ? [
              ["images_type", "rbd"],
              ["images_rbd_pool", spec.instanceDisksPool],
              ["images_rbd_ceph_conf", CEPH_CONF],
          ]
        : [];
    return {
        set: [...set, ...disks].map(([k, v]) => [k, oneLine(`nova.conf [libvirt] ${k}`, v)]),
        unset: spec.instanceDisksPool ? [] : ["images_type", "images_rbd_pool", "images_rbd_ceph_conf"],
    };
}

export function cephClient(spec: CephClientSpec): HostStep {
    const file = spec.configPath;
    const keyring = keyringPath(spec.user);
    const name = `client.${spec.user}`;
    const secretXml = `<secret ephemeral='no' private='no'><uuid>${oneLine("libvirt secret UUID", spec.secretUuid)}</uuid><usage type='ceph'><name>${name} secret</name></usage></secret>\n`;
    const nova = cephNovaSettings(spec);
    const create = `
read_secret CEPH_KEY
command -v ceph >/dev/null && command -v rbd >/dev/null ||
  { echo "$(hostname): the Ceph client is not installed: install ceph-common (and qemu-block-extra, QEMU's RBD driver)" >&2; exit 1; }
ls /usr/lib/*/qemu/block-rbd.so >/dev/null 2>&1 ||
  { echo "$(hostname): QEMU has no RBD driver: install qemu-block-extra" >&2; exit 1; }
[ -f ${shq(file)} ] || { echo ${cmd(`${file} does not exist: is nova-compute installed on`)} "$(hostname)?" >&2; exit 1; }
mkdir -p /etc/ceph
${putFile(CEPH_CONF, "644", "root:root", cephClientConf(spec))}
# The key: readable by nova (images and volumes through librbd), never by others.
group=$(getent group nova >/dev/null && echo nova || echo root)
put_file ${shq(keyring)} 640 "root:$group" < <(printf '[%s]\\n\\tkey = %s\\n' ${shq(name)} "$CEPH_KEY")
# libvirt's secret: QEMU authenticates to Ceph with it. Another secret for the same user (an older UUID)
# would make the definition fail: it goes first.
uuid=${shq(spec.secretUuid)}
virsh -q secret-list 2>/dev/null | awk -v u="$uuid" -v n=${shq(`${name} secret`)} '$1 != u && index($0, n) { print $1 }' |
  while read -r other; do virsh -q secret-undefine "$other" >/dev/null; echo "removed libvirt secret $other (same user, other UUID)"; done
if ! virsh -q secret-dumpxml "$uuid" >/dev/null 2>&1; then
  virsh -q secret-define <(printf '%s' ${shq(secretXml)}) >/dev/null; changed libvirt-secret
fi
if [ "$(virsh -q secret-get-value "$uuid" 2>/dev/null || true)" != "$CEPH_KEY" ]; then
  virsh -q secret-set-value "$uuid" --file <(printf '%s' "$CEPH_KEY") >/dev/null; changed libvirt-secret
fi
${nova.set.map(([k, v]) => `ini_set ${cmd(file, "libvirt", k, v)}`).join("\n")}
${nova.unset.map((k) => `ini_unset ${cmd(file, "libvirt", k)}`).join("\n")}
if was_changed ${shq(file)}; then
  if [ -d /run/systemd/system ]; then systemctl try-restart nova-compute.service; fi
  echo "nova.conf's RBD settings updated; nova-compute restarted if it was running"
fi
echo "Ceph client for ${name} ready (${spec.instanceDisksPool ? `instance disks in pool ${spec.instanceDisksPool}` : "volumes only"})"`;
    const check = `
read_secret CEPH_KEY
uuid=${shq(spec.secretUuid)}
[ "$(cat ${shq(CEPH_CONF)} 2>/dev/null)" = ${shq(cephClientConf(spec).replace(/\n$/, ""))} ] || echo ${shq(`DRIFT ${CEPH_CONF} has other content`)}
# Compared here, never printed: the key stays on stdin.
[ "$(sed -n 's/^[[:space:]]*key = //p' ${shq(keyring)} 2>/dev/null)" = "$CEPH_KEY" ] || echo ${shq(`DRIFT ${keyring} is missing or holds another key`)}
[ "$(virsh -q secret-get-value "$uuid" 2>/dev/null || true)" = "$CEPH_KEY" ] || echo ${shq(`DRIFT libvirt secret ${spec.secretUuid} is missing or holds another key`)}
${nova.set.map(([k, v]) => `ini_check ${cmd(file, "libvirt", k, v)}`).join("\n")}
${nova.unset.map((k) => `[ "$(ini_count ${cmd(file, "libvirt", k)})" = 0 ] || echo ${cmd(`DRIFT ${file}: [libvirt] ${k} is set (instance disks are files here)`)}`).join("\n")}
true`;
    return { create: hostScript("Ceph client (config, keyring, libvirt secret, nova's RBD settings)", create), check: hostScript("check the Ceph client", check) };
}
