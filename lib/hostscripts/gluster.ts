// GlusterFS: brick disks (XFS, mounted by a systemd unit so they come back after a reboot), glusterd,
// the trusted pool, and the volume.
import { cmd, hostScript } from "./prelude";
import { shq } from "./quote";
import type { HostStep } from "./step";

/** XFS label that marks a disk this project formatted (XFS labels have at most 12 characters). */
export const BRICK_LABEL = "livemig";

export interface BrickDiskSpec {
    device: string;
    mountPoint: string;
    format: "ifEmpty" | "force";
    /** Brick directories on this host, below mountPoint. */
    brickDirs: string[];
}

/** systemd's unit name for a mount point: /brick1 → brick1.mount, /var/lib/nova/instances → var-lib-nova-instances.mount */
export function mountUnitName(path: string): string {
    const escaped = path
        .replace(/^\/+|\/+$/g, "")
        .split("/")
        .map((part) => part.replace(/[^A-Za-z0-9:_.]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`))
        .join("-");
    return `${escaped || "-"}.mount`;
}

export function brickDisk(spec: BrickDiskSpec): HostStep {
    const unit = mountUnitName(spec.mountPoint);
    const unitFile = `/etc/systemd/system/${unit}`;
    const create = `
dev=${shq(spec.device)}; mp=${shq(spec.mountPoint)}
[ -b "$dev" ] || { echo "$(hostname): $dev is not a block device; check gluster.disk.device" >&2; exit 1; }
fstype=$(blkid -p -o value -s TYPE "$dev" 2>/dev/null || true)
label=$(blkid -p -o value -s LABEL "$dev" 2>/dev/null || true)
if [ -z "$fstype" ]; then
  mkfs.xfs -q -i size=512 -L ${BRICK_LABEL} "$dev"; echo "formatted $dev (XFS, inode size 512)"
elif [ "$fstype" != xfs ] || [ "$label" != ${BRICK_LABEL} ]; then
  if ${spec.format === "force" ? "true" : "false"}; then
    findmnt -n -S "$dev" >/dev/null && umount "$dev"
    mkfs.xfs -q -f -i size=512 -L ${BRICK_LABEL} "$dev"; echo "reformatted $dev, which held $fstype (gluster.disk.format: force)"
  else
    echo "$(hostname): $dev already holds a $fstype filesystem (label '$label') that this project did not make; refusing to format it. Set gluster.disk.format: force to reformat it (destroys its data)." >&2
    exit 1
  fi
fi
mkdir -p "$mp"
# A native mount unit rather than fstab: it is ordered before glusterd, and it works where udev does not
# run (containers), which /dev/... lines in fstab do not.
put_file ${cmd(unitFile, "644", "root:root")} <<EOF
[Unit]
Description=GlusterFS brick disk $dev (livemig)
Before=glusterd.service
[Mount]
What=$dev
Where=$mp
Type=xfs
Options=defaults,noatime,inode64
[Install]
WantedBy=local-fs.target
EOF
mkdir -p /etc/systemd/system/glusterd.service.d
put_file ${cmd("/etc/systemd/system/glusterd.service.d/livemig-bricks.conf", "644", "root:root")} <<EOF
[Unit]
RequiresMountsFor=$mp
EOF
systemctl daemon-reload
enable_units ${shq(unit)}
findmnt -n --mountpoint "$mp" >/dev/null || systemctl start ${shq(unit)}
[ "$(findmnt -n -o SOURCE --mountpoint "$mp")" = "$dev" ] || { echo "$(hostname): $dev is not mounted at $mp" >&2; exit 1; }
${spec.brickDirs.map((d) => `mkdir -p ${shq(d)}`).join("\n")}
enable_units glusterd.service
if was_changed ${shq(unitFile)} && systemctl is-active --quiet glusterd.service; then systemctl restart glusterd.service; fi
systemctl is-active --quiet glusterd.service || systemctl start glusterd.service
echo "brick disk $dev mounted at $mp; glusterd running"`;
    const check = `
[ "$(findmnt -n -o SOURCE --mountpoint ${shq(spec.mountPoint)})" = ${shq(spec.device)} ] || echo ${shq(`DRIFT ${spec.device} is not mounted at ${spec.mountPoint}`)}
unit_check_enabled ${shq(unit)}
${spec.brickDirs.map((d) => `[ -d ${shq(d)} ] || echo ${shq(`DRIFT brick directory ${d} is missing`)}`).join("\n")}
unit_check_enabled glusterd.service
unit_check_active glusterd.service
true`;
    return { create: hostScript(`prepare brick disk ${spec.device}`, create), check: hostScript("check brick disk and glusterd", check) };
}

/** Run on one pool member: probe the others (by address) and wait until all are connected. */
export function peerProbe(peers: string[]): HostStep {
    const create = `
for p in ${peers.map(shq).join(" ")}; do
  if ! gluster pool list | awk 'NR > 1 { print $2 }' | grep -Fxq "$p"; then gluster peer probe "$p"; fi
done
# A probed peer takes a moment to become Connected; each query at most 10 s (it can wait on a dead peer).
all_connected() { [ "$(gluster --timeout=10 pool list | awk 'NR > 1 && $3 == "Connected"' | wc -l)" -ge ${peers.length + 1} ]; }
wait_for 60 all_connected || true
gluster pool list
missing=$(gluster pool list | awk 'NR > 1 && $3 != "Connected" { print $2 }')
[ -z "$missing" ] || { echo "$(hostname): gluster peers not connected: $missing" >&2; exit 1; }`;
    const check = `
for p in ${peers.map(shq).join(" ")}; do
  # glusterd down (a rebuilt host): the pool is unknown, which is drift, not a failed check.
  state=$(gluster pool list 2>/dev/null | awk -v p="$p" 'NR > 1 && $2 == p { print $3 }' || true)
  [ "$state" = Connected ] || echo "DRIFT gluster peer $p is \${state:-not in the pool}"
done
true`;
    return { create: hostScript("probe gluster peers", create), check: hostScript("check gluster peers", check) };
}

export interface VolumeSpec {
    name: string;
    replica: number;
    arbiter: number;
    /** "address:/path", in volume order */
    bricks: string[];
    virtGroup: boolean;
    ownerUid: number;
    ownerGid: number;
    options: Record<string, string>;
}

/** Volume options in a fixed order (sorted keys), so the script text is deterministic. */
export function volumeOptions(spec: VolumeSpec): [string, string][] {
    const opts: Record<string, string> = {
        "storage.owner-uid": String(spec.ownerUid),
        "storage.owner-gid": String(spec.ownerGid),
        ...spec.options,
    };
    return Object.keys(opts)
        .sort()
        .map((k) => [k, opts[k]!]);
}

// Volume option helpers; $vol must be set, then opts_load run. The virt group's options are listed in
// glusterd's own group file. Every gluster command is a round trip to glusterd (~1 s here): one `volume get
// all` instead of one query per option (the virt group alone has 25) took a check from ~15 s to ~6 s.
// `all` leaves out the user.* options (user.cifs): those are asked for one by one.
const VOLUME_FUNCTIONS = `
opts_load() { opts_all=$(gluster volume get "$vol" all 2>/dev/null || true); }
opt_get() {
  local v
  v=$(printf '%s\\n' "$opts_all" | awk -v k="$1" '$1 == k { print $2; exit }')
  [ -n "$v" ] || v=$(gluster volume get "$vol" "$1" | awk -v k="$1" '$1 == k { print $2 }')
  printf '%s\\n' "$v"
}
set_opt() { [ "$(opt_get "$1")" = "$2" ] || { gluster volume set "$vol" "$1" "$2"; opts_load; }; }
virt_group_drift() {
  local k v
  while IFS='=' read -r k v; do
    [ -n "$k" ] || continue
    [ "$(opt_get "$k")" = "$v" ] || echo "$k is not $v (group virt)"
  done < /var/lib/glusterd/groups/virt
}`;

export function volume(spec: VolumeSpec): HostStep {
    const vol = shq(spec.name);
    const layout = `replica ${spec.replica}${spec.arbiter ? ` arbiter ${spec.arbiter}` : ""}`;
    const opts = volumeOptions(spec);
    const create = `
vol=${vol}
want_bricks=${shq(spec.bricks.join("\n"))}
if ! gluster volume info "$vol" >/dev/null 2>&1; then
  # --mode=script answers gluster's questions with yes: the config validation already asked them.
  gluster --mode=script volume create "$vol" ${layout} ${spec.bricks.map(shq).join(" ")}
  echo "created volume $vol (${layout}, ${spec.bricks.length} bricks)"
fi
have_bricks=$(gluster volume info "$vol" | sed -n 's/^Brick[0-9]*: //p' | sed 's/ (arbiter)$//')
if [ "$have_bricks" != "$want_bricks" ]; then
  echo "$(hostname): volume $vol exists with other bricks:" >&2; echo "$have_bricks" >&2
  echo "changing a volume's layout (add-brick/remove-brick/replace-brick) is not done automatically" >&2; exit 1
fi
${VOLUME_FUNCTIONS}
opts_load
${spec.virtGroup ? `[ -z "$(virt_group_drift)" ] || { gluster volume set "$vol" group virt; opts_load; }` : ""}
${opts.map(([k, v]) => `set_opt ${cmd(k, v)}`).join("\n")}
gluster volume info "$vol" | grep -q '^Status: Started' || gluster volume start "$vol"
# Until every brick process is online; each query at most 10 s (without --timeout, up to 120 s on a dead peer).
all_online() { [ "$(gluster --timeout=10 volume status "$vol" detail | awk -F': ' '/^Online/ { print $2 }' | grep -c Y)" -ge ${spec.bricks.length} ]; }
wait_for 60 all_online || true
gluster volume info "$vol"`;
    const check = `
vol=${vol}
info=$(gluster volume info "$vol" 2>/dev/null) || { echo "DRIFT volume $vol does not exist"; exit 0; }
grep -q '^Status: Started' <<<"$info" || echo "DRIFT volume $vol is not started"
online=$(gluster --timeout=30 volume status "$vol" detail 2>/dev/null | awk -F': ' '/^Online/ { print $2 }' | grep -c Y || true)
[ "$online" -ge ${spec.bricks.length} ] || echo "DRIFT volume $vol has $online of ${spec.bricks.length} bricks online"
${VOLUME_FUNCTIONS}
opts_load
${spec.virtGroup ? `virt_group_drift | sed 's/^/DRIFT volume option /'` : ""}
${opts.map(([k, v]) => `[ "$(opt_get ${cmd(k)})" = ${shq(v)} ] || echo ${shq(`DRIFT volume option ${k} is not ${v}`)}`).join("\n")}
true`;
    return { create: hostScript(`create gluster volume ${spec.name}`, create), check: hostScript(`check gluster volume ${spec.name}`, check) };
}
