# A small real Ceph (Debian 12's 16.2) for the control plane: one monitor, one manager, one BlueStore
# OSD on a sparse file, all on the bridge address $C, state under $OS_STATE/ceph (so `down` removes it).
# Cinder's RBD backend uses it from here (client.cinder); the lab hosts' nova-computes reach it over
# the bridge with the output of ceph_client_conf and the same client.cinder key. Sourced, never run.
# No kernel module is involved (no krbd, nbd, LVM): QEMU, qemu-img, libvirt and Cinder use librbd.
# Facts and traps measured on this machine: /work/shared/notes/ceph-lab.md.
# Needs env.sh sourced first (OS_STATE, OS_LOGS, C, PY, oslog, now_ms: read when this file is sourced)
# and, when its functions run, daemons.sh's svc_start/svc_stop/svc_pid with svc_def knowing the names
# in CEPH_SERVICES (delegate them to ceph_svc_def).
# Cold path: ceph_install; ceph_bootstrap (= ceph_mkfs, svc_start ceph-mon ceph-mgr, ceph_mkfs_osd,
# svc_start ceph-osd@0, wait_ceph, ceph_setup_pools_users): ~20 s here. Warm: ceph_bootstrap again.
# shellcheck shell=bash

CEPH_PACKAGES=(ceph-mon ceph-osd ceph-mgr ceph-common python3-rados python3-rbd qemu-block-extra qemu-utils)
CEPH_APT=(apt-get -o DPkg::Lock::Timeout=600 -q -y --no-install-recommends)

CEPH_DIR=$OS_STATE/ceph                         # everything: conf, keyrings, mon/mgr/osd data, sockets
CEPH_CONF=$CEPH_DIR/ceph.conf                   # the controller's conf (daemons, admin, cinder-volume)
CEPH_ADMIN_KEYRING=$CEPH_DIR/ceph.client.admin.keyring           # 0600
CEPH_CINDER_KEYRING=$CEPH_DIR/ceph.client.cinder.keyring         # 0640 root:cinder
CEPH_BOOTSTRAPPED=$CEPH_DIR/.bootstrapped       # written once pools and users exist
# client.cinder's key: fixed and in the repository on purpose (see lab/ceph/README.md), so the lab
# hosts' libvirt secrets and the project's stack config stay valid across `down`/`up`.
CEPH_CINDER_KEY_FILE=${LIVEMIG_LAB_CEPH_CINDER_KEY:-$LAB_ROOT/ceph/client.cinder.key}
CEPH_MON_ID=a CEPH_MGR_ID=a
CEPH_OSD_SIZE=${LIVEMIG_LAB_CEPH_OSD_SIZE:-8G}  # the OSD's BlueStore file: sparse, grows with the data
CEPH_POOLS=(volumes vms)
CEPH_SERVICES=(ceph-mon ceph-mgr ceph-osd@0)    # start order
CEPH_MON_ADDRS="[v2:$C:3300,v1:$C:6789]"

# ceph_adm ARGS...: the ceph CLI as client.admin, bounded (a client that cannot reach a monitor
# would otherwise hang for minutes).
ceph_adm() { timeout 30 ceph --connect-timeout 10 -c "$CEPH_CONF" -k "$CEPH_ADMIN_KEYRING" -n client.admin "$@"; }


# ceph_install: the Ceph packages that are missing, silently (~90 MB download, ~50 s the first time).
# Nothing starts: policy-rc.d blocks it and there is no systemd; our daemons run by hand.
ceph_install() {
  local missing t0
  mapfile -t missing < <(packages_missing "${CEPH_PACKAGES[@]}")
  [ "${#missing[@]}" -gt 0 ] || return 0
  t0=$(now_ms)
  oslog "ceph: installing ${#missing[@]} missing packages (${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ] ||
    "${CEPH_APT[@]}" update >/dev/null || osdie "ceph install: apt-get update failed"
  "${CEPH_APT[@]}" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    install "${CEPH_PACKAGES[@]}" >"$LAB_DIR/apt-ceph.log" 2>&1 ||
    osdie "ceph install: apt-get install failed (see $LAB_DIR/apt-ceph.log)"
  mapfile -t missing < <(packages_missing "${CEPH_PACKAGES[@]}")
  [ "${#missing[@]}" -eq 0 ] || osdie "ceph install: still missing after install: ${missing[*]}"
  oslog "ceph: packages installed in $(( ($(now_ms) - t0) / 1000 )) s"
}

ceph_bootstrapped() { [ -f "$CEPH_BOOTSTRAPPED" ]; }
ceph_fsid() { sed -n 's/^fsid = //p' "$CEPH_CONF" 2>/dev/null | grep . || osdie "ceph: no fsid in $CEPH_CONF (not bootstrapped)"; }

# ceph_cinder_key: the committed client.cinder key (checked: cephx keys are 40 base64 characters).
# ceph_secret_uuid: the UUID of the libvirt secret that holds client.cinder's key on the computes, fixed
# beside the key (lab/ceph/libvirt-secret.uuid): Cinder hands it to Nova with every RBD volume.
ceph_secret_uuid() {
  local u
  u=$(tr -d ' \n' < "$LAB_ROOT/ceph/libvirt-secret.uuid" 2>/dev/null) || osdie "ceph: cannot read $LAB_ROOT/ceph/libvirt-secret.uuid"
  [[ "$u" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] || osdie "ceph: $LAB_ROOT/ceph/libvirt-secret.uuid holds no UUID"
  printf '%s' "$u"
}

ceph_cinder_key() {
  local k
  k=$(tr -d ' \n' < "$CEPH_CINDER_KEY_FILE" 2>/dev/null) || osdie "ceph: cannot read $CEPH_CINDER_KEY_FILE"
  [[ "$k" =~ ^[A-Za-z0-9+/]{38}==$ ]] || osdie "ceph: $CEPH_CINDER_KEY_FILE does not hold a cephx key (make one with ceph-authtool --gen-print-key)"
  printf '%s' "$k"
}

# ceph_write_conf FSID: the controller's ceph.conf. Ceph expands $cluster/$name/$id/$pid itself.
ceph_write_conf() {
  mkdir -p "$CEPH_DIR"
  cat > "$CEPH_CONF.tmp" <<EOF
# Written by lab/openstack/lib/ceph.sh (livemig lab): one mon, one mgr, one OSD on $C; no secrets here.
[global]
fsid = $1
mon_initial_members = $CEPH_MON_ID
mon_host = $CEPH_MON_ADDRS
public_network = $LAB_SUBNET_PREFIX.0/$LAB_NETMASK
# The bridge carries secondary addresses too (the BMCs'): bind to the controller's, not the first found.
public_addr = $C
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
# The default warns below 30 % free on the disk holding the monitor's store.
mon_data_avail_warn = 5
mon_data_avail_crit = 2
run_dir = $CEPH_DIR/run
crash_dir = $CEPH_DIR/crash
mon_cluster_log_file = default=$OS_LOGS/ceph-\$channel.log cluster=$OS_LOGS/ceph-cluster.log

[mon]
mon_data = $CEPH_DIR/mon/\$cluster-\$id
keyring = \$mon_data/keyring
log_file = $OS_LOGS/ceph-\$name.log
mgr_initial_modules = iostat

[mgr]
mgr_data = $CEPH_DIR/mgr/\$cluster-\$id
keyring = \$mgr_data/keyring
log_file = $OS_LOGS/ceph-\$name.log

[osd]
osd_data = $CEPH_DIR/osd/\$cluster-\$id
keyring = \$osd_data/keyring
log_file = $OS_LOGS/ceph-\$name.log
osd_objectstore = bluestore
# BlueStore on a plain sparse file \$osd_data/block (no bluestore_block_path: a symlink breaks mkfs).
bluestore_block_create = true
bluestore_block_size = $CEPH_OSD_SIZE
# 896 MiB: the smallest value Ceph honours (below it silently stays at 4 GiB).
osd_memory_target = 939524096

[client]
keyring = $CEPH_DIR/\$cluster.\$name.keyring
# Per process: parallel clients (cinder-volume, qemu-img, rbd) would collide on one socket.
admin_socket = $CEPH_DIR/run/\$cluster-\$name.\$pid.asok
# Fail fast instead of hanging for minutes when the monitor is away.
client_mount_timeout = 10
rados_connect_timeout = 10
EOF
  mv -f "$CEPH_CONF.tmp" "$CEPH_CONF"
  chmod 0644 "$CEPH_CONF"
}

# ceph_mkfs: before any ceph daemon runs: fsid, ceph.conf, keys (mon., client.admin, mgr), monmap,
# the monitor's store. Clears a half-made $CEPH_DIR first. No-op once bootstrapped.
ceph_mkfs() {
  ceph_bootstrapped && return 0
  local fsid d=$CEPH_DIR t0
  t0=$(now_ms)
  if [ -e "$d" ]; then
    oslog "ceph: clearing the unfinished state in $d"
    svc_stop "${CEPH_SERVICES[@]}"
    rm -rf "$d"
  fi
  ceph_cinder_key >/dev/null     # fail before doing anything if the committed key is unusable
  mkdir -p "$d/run" "$d/crash" "$d/mon" "$d/mgr/ceph-$CEPH_MGR_ID" "$d/osd" "$OS_LOGS"
  chmod 0755 "$d"
  # Clients' admin sockets go to run/: let cinder-volume create its own if it ever runs as cinder.
  if getent group cinder >/dev/null; then chgrp cinder "$d/run" && chmod 0775 "$d/run"; fi
  fsid=$(cat /proc/sys/kernel/random/uuid)
  ceph_write_conf "$fsid"
  # (&&, not set -e: -e is ignored inside a subshell whose status is tested)
  ( umask 077
    ceph-authtool --create-keyring "$d/ceph.mon.keyring" --gen-key -n mon. --cap mon 'allow *' &&
    ceph-authtool --create-keyring "$CEPH_ADMIN_KEYRING" --gen-key -n client.admin \
      --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' &&
    ceph-authtool --create-keyring "$d/mgr/ceph-$CEPH_MGR_ID/keyring" --gen-key -n "mgr.$CEPH_MGR_ID" \
      --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *' &&
    # The monitor's store starts with these keys in its auth database.
    ceph-authtool "$d/ceph.mon.keyring" --import-keyring "$CEPH_ADMIN_KEYRING" &&
    ceph-authtool "$d/ceph.mon.keyring" --import-keyring "$d/mgr/ceph-$CEPH_MGR_ID/keyring" &&
    monmaptool --create --fsid "$fsid" --addv "$CEPH_MON_ID" "$CEPH_MON_ADDRS" \
      --set-min-mon-release 16 --enable-all-features "$d/monmap"
  ) >"$OS_LOGS/ceph-mkfs.log" 2>&1 || osdie "ceph: creating keys/monmap failed (see $OS_LOGS/ceph-mkfs.log)"
  ceph-mon -c "$CEPH_CONF" --mkfs -i "$CEPH_MON_ID" --monmap "$d/monmap" --keyring "$d/ceph.mon.keyring" \
    >>"$OS_LOGS/ceph-mkfs.log" 2>&1 || osdie "ceph: ceph-mon --mkfs failed (see $OS_LOGS/ceph-mkfs.log and $OS_LOGS/ceph-mon.$CEPH_MON_ID.log)"
  oslog "ceph: monitor store created in $(( $(now_ms) - t0 )) ms (fsid $fsid)"
}

# ceph_wait_mon TIMEOUT: until the monitor answers client.admin (dies if its process died).
ceph_wait_mon() {
  local timeout=${1:-60} t0=$SECONDS
  until timeout 10 ceph --connect-timeout 5 -c "$CEPH_CONF" -k "$CEPH_ADMIN_KEYRING" mon stat >/dev/null 2>&1; do
    svc_pid ceph-mon >/dev/null || osdie "ceph-mon exited during start-up: see $OS_LOGS/ceph-mon.out and $OS_LOGS/ceph-mon.$CEPH_MON_ID.log
$(tail -n 5 "$OS_LOGS/ceph-mon.out" 2>/dev/null)"
    [ $((SECONDS - t0)) -lt "$timeout" ] || osdie "ceph-mon does not answer on $C:3300 after ${timeout}s: see $OS_LOGS/ceph-mon.*"
    sleep 0.5
  done
}

# ceph_mkfs_osd [ID]: with the monitor running: the OSD the vstart.sh way (no ceph-volume, it needs
# LVM): register it with its cephx key, make its BlueStore, write its keyring. No-op if it exists.
ceph_mkfs_osd() {
  local id=${1:-0} uuid secret d t0
  d=$CEPH_DIR/osd/ceph-$id
  [ -f "$d/.mkfs-done" ] && return 0
  t0=$(now_ms)
  ceph_wait_mon 60
  uuid=$(cat /proc/sys/kernel/random/uuid)
  secret=$(ceph-authtool --gen-print-key) || osdie "ceph: ceph-authtool --gen-print-key failed"
  rm -rf "$d"; mkdir -p "$d"; chmod 0700 "$d"
  # The secret goes through files and stdin (printf is a builtin), never through argv.
  ( umask 077
    printf '{"cephx_secret": "%s"}\n' "$secret" > "$d/new.json"
    printf '[osd.%s]\n\tkey = %s\n' "$id" "$secret" > "$d/keyring" )
  ceph_adm osd new "$uuid" "$id" -i "$d/new.json" >>"$OS_LOGS/ceph-mkfs.log" 2>&1 ||
    { rm -f "$d/new.json"; osdie "ceph: 'ceph osd new' for osd.$id failed (see $OS_LOGS/ceph-mkfs.log)"; }
  rm -f "$d/new.json"
  # --mkfs does not write the keyring (written above); without it the OSD cannot authenticate.
  printf '%s' "$secret" | ceph-osd -c "$CEPH_CONF" -i "$id" --mkfs --keyfile - --osd-uuid "$uuid" \
    >>"$OS_LOGS/ceph-mkfs.log" 2>&1 ||
    osdie "ceph: ceph-osd --mkfs for osd.$id failed (see $OS_LOGS/ceph-mkfs.log and $OS_LOGS/ceph-osd.$id.log)"
  touch "$d/.mkfs-done"
  oslog "ceph: osd.$id created in $(( $(now_ms) - t0 )) ms (BlueStore on a sparse $CEPH_OSD_SIZE file)"
}

# ceph_svc_def NAME: like svc_def for the ceph daemons (foreground, as root, our conf); 1 for other names.
# shellcheck disable=SC2034  # SVC_CMD and SVC_URL are read by svc_start/os_status (daemons.sh, status.sh)
ceph_svc_def() {
  SVC_URL=
  case "$1" in
    ceph-mon) SVC_CMD=(/usr/bin/ceph-mon -f -c "$CEPH_CONF" --id "$CEPH_MON_ID") ;;
    ceph-mgr) SVC_CMD=(/usr/bin/ceph-mgr -f -c "$CEPH_CONF" --id "$CEPH_MGR_ID") ;;
    ceph-osd@*)
      local id=${1#ceph-osd@}
      [[ "$id" =~ ^[0-9]+$ ]] || return 1
      SVC_CMD=(/usr/bin/ceph-osd -f -c "$CEPH_CONF" --id "$id") ;;
    *) return 1 ;;
  esac
}

# ceph_ok: a monitor answers and reports health OK or WARN.
ceph_ok() {
  local h
  h=$(timeout 10 ceph --connect-timeout 5 -c "$CEPH_CONF" -k "$CEPH_ADMIN_KEYRING" health 2>/dev/null) || return 1
  [[ "$h" =~ ^HEALTH_(OK|WARN) ]]
}

# ceph_py MODE: one small python (~0.1 s of CPU, against ~0.6 s for each ceph CLI run) for what runs
# often: every second while waiting, and in every `controlplane status`, on a busy 2-core machine.
#   ready  nothing printed, success when the cluster is really up; else why not, on stderr:
#          - each daemon of CEPH_SERVICES says so on its own admin socket: mon leader, mgr active and
#            initialised, each OSD "active" (booted, marked up). A restarted monitor reports the map of
#            before the restart (OSD up, mgr available, PGs active+clean) until the new daemons have
#            checked in: hence these;
#          - then `status` from the monitor: health OK/WARN, every OSD up and in, the mgr available,
#            every PG active (and some PG at all once the pools exist).
#   line   the one-line summary of ceph_status_line; non-zero unless OK/WARN with every OSD up.
ceph_py() {
  local names=() s
  for s in "${CEPH_SERVICES[@]}"; do
    case "$s" in
      ceph-mon) names+=("mon.$CEPH_MON_ID") ;; ceph-mgr) names+=("mgr.$CEPH_MGR_ID") ;;
      ceph-osd@*) names+=("osd.${s#ceph-osd@}") ;;
    esac
  done
  "$PY" - "$1" "$CEPH_CONF" "$CEPH_ADMIN_KEYRING" "$CEPH_DIR/run" "$(ceph_bootstrapped && echo 1 || echo 0)" \
    "$C" "${names[@]}" <<'PYEOF'
import json, socket, struct, sys
mode, conf, keyring, run, bootstrapped, mon_addr = sys.argv[1:7]
names = sys.argv[7:]

def no(why):
    if mode == "line":
        print(f"ceph: {why}")
    else:
        print(why, file=sys.stderr)
    sys.exit(1)

def asok(name, prefix):  # admin socket protocol: JSON command + NUL; answer: 4-byte length + JSON
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    try:
        s.connect(f"{run}/ceph-{name}.asok")
        s.sendall(json.dumps({"prefix": prefix}).encode() + b"\0")
        n = struct.unpack(">I", s.recv(4, socket.MSG_WAITALL))[0]
        buf = b""
        while len(buf) < n:
            chunk = s.recv(n - len(buf))
            if not chunk:
                break
            buf += chunk
        return json.loads(buf)
    finally:
        s.close()

if mode == "ready":
    for name in names:
        kind = name.split(".")[0]
        try:
            if kind == "mon":
                st = asok(name, "mon_status").get("state")
                if st != "leader":
                    no(f"{name}: {st}")
            elif kind == "mgr":
                if not asok(name, "mgr_status").get("initialized"):
                    no(f"{name}: not active/initialised yet")
            elif kind == "osd":
                st = asok(name, "status").get("state")
                if st != "active":
                    no(f"{name}: {st}")
        except (OSError, ValueError, struct.error) as e:
            no(f"{name}: admin socket: {e}")

import rados

def mon(c, prefix):
    r, out, err = c.mon_command(json.dumps({"prefix": prefix, "format": "json"}), b"", timeout=10)
    if r != 0:
        no(f"{prefix}: {err}")
    return json.loads(out)

c = rados.Rados(conffile=conf, name="client.admin",
                conf={"keyring": keyring, "client_mount_timeout": "5", "rados_mon_op_timeout": "10"})
try:
    c.connect(timeout=5)
    j = mon(c, "status")
    pools = [p for p in mon(c, "osd pool ls") if p not in ("device_health_metrics", ".mgr")] if mode == "line" else []
except rados.Error as e:
    no(f"monitor on {mon_addr}:3300 does not answer ({e})")
finally:
    c.shutdown()
h = j["health"]["status"]
o = j["osdmap"].get("osdmap", j["osdmap"])
pg = j.get("pgmap", {})
by_state = pg.get("pgs_by_state", [])
active = sum(x["count"] for x in by_state if "active" in x["state_name"].split("+"))
osds_ok = o["num_osds"] >= 1 and o["num_up_osds"] == o["num_osds"] and o["num_in_osds"] == o["num_osds"]
if mode == "line":
    print(f"ceph: {h}, {o['num_up_osds']}/{o['num_osds']} osd up, pools {' '.join(pools)}"
          + ("" if active == pg.get("num_pgs", 0) else ", pgs " + ", ".join(f"{x['count']} {x['state_name']}" for x in by_state)))
    sys.exit(0 if h in ("HEALTH_OK", "HEALTH_WARN") and osds_ok else 1)
if h not in ("HEALTH_OK", "HEALTH_WARN"):
    no(f"health {h}: {', '.join(j['health'].get('checks', {}))}")
if not osds_ok:
    no(f"osds: {o['num_up_osds']} up, {o['num_in_osds']} in of {o['num_osds']}")
if not j.get("mgrmap", {}).get("available"):
    no("mgr: not available")
if bootstrapped == "1" and pg.get("num_pgs", 0) == 0:
    no("pgs: none reported yet")
if active != pg.get("num_pgs", 0):
    no("pgs: " + ", ".join(f"{x['count']} {x['state_name']}" for x in by_state))
PYEOF
}

# ceph_ready: the cluster is really up (see ceph_py ready); why not on stderr.
ceph_ready() { ceph_py ready; }

# wait_ceph [TIMEOUT]: until ceph_ready (daemons joined, OSD up and in, PGs active) and ceph_ok; dies
# with the reason and a log tail if a ceph daemon died or the time is up.
wait_ceph() {
  local timeout=${1:-120} t0=$SECONDS s why
  until why=$(ceph_ready 2>&1) && ceph_ok; do
    for s in "${CEPH_SERVICES[@]}"; do
      svc_pid "$s" >/dev/null || osdie "$s is not running: see $OS_LOGS/$s.out and $OS_LOGS/ceph-*.log
$(tail -n 5 "$OS_LOGS/$s.out" 2>/dev/null)"
    done
    [ $((SECONDS - t0)) -lt "$timeout" ] ||
      osdie "ceph not ready after ${timeout}s: ${why:-health check failed} (see $OS_LOGS/ceph-*.log)"
    sleep 1
  done
}

# ceph_setup_pools_users: with the daemons up: pools volumes and vms (rbd), the v2 clone API, and
# client.cinder with the committed key; writes the marker. Idempotent.
ceph_setup_pools_users() {
  local p key t0 tmp
  t0=$(now_ms)
  # size 1 / min_size 1 come from osd_pool_default_size (mon_allow_pool_size_one permits it). All
  # pools first, then `rbd pool init` (it waits for the pool's PGs to be active): their PGs peer together.
  for p in "${CEPH_POOLS[@]}"; do
    ceph_adm osd pool create "$p" 8 8 replicated >>"$OS_LOGS/ceph-mkfs.log" 2>&1 ||
      osdie "ceph: creating pool $p failed (see $OS_LOGS/ceph-mkfs.log)"
  done
  for p in "${CEPH_POOLS[@]}"; do
    timeout 60 rbd -c "$CEPH_CONF" -k "$CEPH_ADMIN_KEYRING" --id admin pool init "$p" >>"$OS_LOGS/ceph-mkfs.log" 2>&1 ||
      osdie "ceph: rbd pool init $p failed (see $OS_LOGS/ceph-mkfs.log)"
  done
  # Cinder uses RBD's clone v2 (no protected snapshots) only once old clients are locked out.
  ceph_adm osd set-require-min-compat-client mimic >>"$OS_LOGS/ceph-mkfs.log" 2>&1 ||
    osdie "ceph: set-require-min-compat-client mimic failed (see $OS_LOGS/ceph-mkfs.log)"
  key=$(ceph_cinder_key)
  tmp=$CEPH_DIR/client.cinder.import
  ( umask 077
    { printf '[client.cinder]\n\tkey = %s\n' "$key"
      printf '\tcaps mon = "profile rbd"\n'
      printf '\tcaps osd = "profile rbd pool=volumes, profile rbd pool=vms"\n'
      printf '\tcaps mgr = "profile rbd pool=volumes, profile rbd pool=vms"\n'; } > "$tmp" )
  ceph_adm auth import -i "$tmp" >>"$OS_LOGS/ceph-mkfs.log" 2>&1 ||
    { rm -f "$tmp"; osdie "ceph: importing client.cinder failed (see $OS_LOGS/ceph-mkfs.log)"; }
  rm -f "$tmp"
  ( umask 027; printf '[client.cinder]\n\tkey = %s\n' "$key" > "$CEPH_CINDER_KEYRING.tmp" )
  if getent group cinder >/dev/null; then chgrp cinder "$CEPH_CINDER_KEYRING.tmp"; fi
  chmod 0640 "$CEPH_CINDER_KEYRING.tmp"
  mv -f "$CEPH_CINDER_KEYRING.tmp" "$CEPH_CINDER_KEYRING"
  { echo "at=$(date -u +%FT%TZ)"; echo "fsid=$(ceph_fsid)"; } > "$CEPH_BOOTSTRAPPED"
  oslog "ceph: pools ${CEPH_POOLS[*]} and client.cinder ready in $(( $(now_ms) - t0 )) ms"
}

# ceph_bootstrap: the whole sequence (svc_def must know the ceph names, e.g. via ceph_svc_def). From
# empty: mkfs, daemons, OSD, pools, user. Bootstrapped already: starts whichever daemon is not
# running (data kept) and waits until healthy; a no-op when all run.
ceph_bootstrap() {
  local t0=$SECONDS s
  if ceph_bootstrapped; then
    for s in "${CEPH_SERVICES[@]}"; do svc_pid "$s" >/dev/null || svc_start "$s"; done
    wait_ceph 120
    return 0
  fi
  ceph_mkfs
  svc_start ceph-mon
  svc_start ceph-mgr
  ceph_mkfs_osd 0
  svc_start ceph-osd@0
  wait_ceph 120
  ceph_setup_pools_users
  oslog "ceph: up in $((SECONDS - t0)) s ($(ceph_status_line || true))"
}

# ceph_stop: the ceph daemons by PID, OSDs first while the monitor still runs (they then mark
# themselves down at once, ~1 s; stopped together, each OSD waits 5 s for a monitor that is gone).
ceph_stop() {
  local s osds=()
  for s in "${CEPH_SERVICES[@]}"; do [[ "$s" != ceph-osd@* ]] || osds+=("$s"); done
  svc_stop "${osds[@]}"
  svc_stop ceph-mgr
  svc_stop ceph-mon
}

# ceph_client_conf: a minimal ceph.conf for the other machines (the lab hosts' computes). Their key
# goes into /etc/ceph/ceph.client.cinder.keyring (the default keyring path) or a libvirt secret.
ceph_client_conf() {
  local fsid
  fsid=$(ceph_fsid) || return 1
  cat <<EOF
# Ceph client configuration for the livemig lab (from lab/openstack/lib/ceph.sh ceph_client_conf).
[global]
fsid = $fsid
mon_host = $CEPH_MON_ADDRS

[client]
client_mount_timeout = 10
rados_connect_timeout = 10
admin_socket = /run/ceph/\$cluster-\$name.\$pid.asok
EOF
}

# ceph_status_line: one line for `controlplane status`, e.g. "ceph: HEALTH_OK, 1/1 osd up, pools volumes
# vms"; non-zero unless health is OK/WARN with every OSD up.
ceph_status_line() {
  if ! ceph_bootstrapped; then echo "ceph: not bootstrapped"; return 1; fi
  # Not the 5 s connect timeout when the monitor is simply not running.
  svc_pid ceph-mon >/dev/null || { echo "ceph: ceph-mon not running"; return 1; }
  local out rc=0
  out=$(ceph_py line 2>/dev/null) || rc=$?
  echo "${out:-ceph: status query failed}"
  return "$rc"
}
