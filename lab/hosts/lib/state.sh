# Which hosts exist, where their state lives, and whether a recorded PID is still the process we
# started (PIDs are recorded as "PID STARTTIME" so a reused PID is never mistaken for ours).

# The compute and gluster rows of the topology ("name role address disks"), read once.
HOST_ROWS=$(topology_rows | awk '$2 == "compute" || $2 == "gluster"') || HOST_ROWS=

# lab_hosts: names of the simulated hosts, in topology order.
lab_hosts() { local n _; while read -r n _; do [ -z "$n" ] || printf '%s\n' "$n"; done <<<"$HOST_ROWS"; }

# host_field NAME role|addr|disks
host_field() {
  local n role addr disks
  while read -r n role addr disks; do
    [ "$n" = "$1" ] || continue
    case "$2" in role) echo "$role" ;; addr) echo "$addr" ;; disks) echo "$disks" ;; esac
    return
  done <<<"$HOST_ROWS"
  die "$1: not a compute or gluster host in $LAB_TOPOLOGY"
}
host_addr()  { host_field "$1" addr; }
# host_disks NAME: one "dev size" line per extra disk (topology "sdb:2G,sdc:1G" → "sdb 2G", "sdc 1G").
host_disks() {
  local disks spec specs
  disks=$(host_field "$1" disks)
  [ "$disks" != - ] || return 0
  IFS=, read -r -a specs <<<"$disks"
  for spec in "${specs[@]}"; do printf '%s %s\n' "${spec%%:*}" "${spec#*:}"; done
}

host_state()  { printf '%s/hosts/%s\n' "$LAB_DIR" "$1"; }
host_netns()  { printf 'livemig-%s\n' "$1"; }
# Interface names are limited to 15 bytes: derive the bridge-side veth name from the address.
host_veth()   { local a; a=$(host_addr "$1"); IFS=. read -r _ _ o3 o4 <<<"$a"; printf 'lmh-%s-%s\n' "$o3" "$o4"; }
# A fixed MAC per address: a re-created host keeps its MAC, so peers' ARP caches stay valid.
host_mac()    { local a; a=$(host_addr "$1"); IFS=. read -r o1 o2 o3 o4 <<<"$a"; printf '02:4c:%02x:%02x:%02x:%02x\n' "$o1" "$o2" "$o3" "$o4"; }

# cgroup v2 hierarchy: /sys/fs/cgroup on unified systems, /sys/fs/cgroup/unified on hybrid ones.
cgroup2_root() {
  local d
  for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
    if [ "$(stat -fc %T "$d" 2>/dev/null)" = cgroup2fs ]; then printf '%s\n' "$d"; return; fi
  done
  die "no cgroup2 hierarchy mounted (systemd in the hosts needs one)"
}
host_cgroup() { printf '%s/livemig/%s\n' "$(cgroup2_root)" "$1"; }

host_pid()     { pidfile_pid "$(host_state "$1")/pid"; }
host_running() { host_pid "$1" >/dev/null; }
host_created() { [ -f "$(host_state "$1")/created" ]; }

# netns_pids NAME: every process in the host's network namespace (supervisor, PID 1, all below it).
netns_pids() { ip netns pids "$(host_netns "$1")" 2>/dev/null || true; }
