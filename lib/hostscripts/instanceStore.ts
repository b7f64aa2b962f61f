// The GlusterFS volume mounted at nova's instances path on a compute: a systemd mount unit ordered after
// the network (and before nova-compute), owned by nova with the uid/gid every compute must share.
import { mountUnitName } from "./gluster";
import { hostScript, oneLine, putFile } from "./prelude";
import { shq } from "./quote";
import type { HostStep } from "./step";

export interface InstanceStoreSpec {
    /** "address:/volume" */
    source: string;
    /** Other gluster servers to fetch the volume layout from when the first is down. */
    backupServers: string[];
    path: string;
    uid: number;
    gid: number;
}

export function instanceStoreMount(spec: InstanceStoreSpec): HostStep {
    // Each goes into a line of a unit file: a line break would add settings of its own.
    const source = oneLine("instance store source", spec.source);
    const where = oneLine("instance store path", spec.path);
    const unit = mountUnitName(where);
    const unitFile = `/etc/systemd/system/${unit}`;
    const options = ["defaults", "_netdev", ...(spec.backupServers.length ? [`backup-volfile-servers=${spec.backupServers.map((b) => oneLine("gluster backup server", b)).join(":")}`] : [])].join(",");
    const owner = `${spec.uid}:${spec.gid}`;
    const mountUnit = `[Unit]
Description=Nova instance store on GlusterFS (livemig)
After=network-online.target
Wants=network-online.target
Before=nova-compute.service
[Mount]
What=${source}
Where=${where}
Type=glusterfs
Options=${options}
[Install]
WantedBy=remote-fs.target
`;
    const dropIn = `[Unit]\nRequiresMountsFor=${where}\n`;
    const create = `
path=${shq(where)}
source=${shq(source)}
owner=${shq(owner)}
uid=$(id -u nova 2>/dev/null || true); gid=$(id -g nova 2>/dev/null || true)
if [ "$uid:$gid" != "$owner" ]; then
  echo "$(hostname): user nova is \${uid:-missing}:\${gid:-missing} here, but the instance store is owned by $owner; nova must have the same uid/gid on every compute (or set gluster.ownerUid/ownerGid)" >&2
  exit 1
fi
mkdir -p "$path"
${putFile(unitFile, "644", "root:root", mountUnit)}
mkdir -p /etc/systemd/system/nova-compute.service.d
${putFile("/etc/systemd/system/nova-compute.service.d/livemig-instance-store.conf", "644", "root:root", dropIn)}
systemctl daemon-reload
enable_units ${shq(unit)}
if ! findmnt -n -t fuse.glusterfs "$path" >/dev/null; then
  systemctl reset-failed ${shq(unit)} 2>/dev/null || true
  systemctl start ${shq(unit)}
elif was_changed ${shq(unitFile)}; then
  # Never unmount under running guests: new options apply at the next mount.
  echo "mount options changed; they apply at the next mount of $path"
fi
findmnt -n -t fuse.glusterfs "$path" >/dev/null || { echo "$(hostname): $source is not mounted at $path" >&2; exit 1; }
[ "$(stat -c %u:%g "$path")" = "$uid:$gid" ] || chown nova:nova "$path"
echo "$source mounted at $path, owned by nova ($uid:$gid)"`;
    const check = `
path=${shq(where)}
source=${shq(source)}
owner=${shq(owner)}
unit_check_enabled ${shq(unit)}
if ! findmnt -n -t fuse.glusterfs "$path" >/dev/null; then echo "DRIFT $source is not mounted at $path"
elif [ "$(stat -c %u:%g "$path")" != "$owner" ]; then echo "DRIFT $path is owned by $(stat -c %u:%g "$path"), not $owner"; fi
true`;
    return { create: hostScript(`mount the instance store at ${where}`, create), check: hostScript("check the instance store", check) };
}
