# Shared by every lab script: where the lab lives, its network, its topology.
# Sourced, never run. Everything here is idempotent.

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Runtime state (per-host upper dirs, pids, keys, logs). Survives a session; `lab down` empties it.
LAB_DIR=${LIVEMIG_LAB_DIR:-/var/lib/livemig-lab}
# Build caches (host image, ...) kept across `lab down`, keyed by content/version.
LAB_CACHE=${LIVEMIG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/livemig}
LAB_TOPOLOGY=${LIVEMIG_LAB_TOPOLOGY:-$LAB_ROOT/topology.conf}

LAB_BRIDGE=lmbr0
LAB_SUBNET_PREFIX=10.77.0
LAB_CONTROLLER_ADDR=10.77.0.1
LAB_NETMASK=24

log() { printf '[lab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

# topology_rows [role]: prints "name role address disks" for each host (optionally of one role).
topology_rows() {
  local want=${1:-}
  [ -r "$LAB_TOPOLOGY" ] || die "topology file $LAB_TOPOLOGY is not readable"
  awk -v want="$want" '!/^[[:space:]]*(#|$)/ { if (want == "" || $2 == want) print $1, $2, $3, $4 }' "$LAB_TOPOLOGY"
}

# ensure_bridge: the lab's private bridge with the controller address. Traffic stays on this machine:
# no uplink is attached and nothing is forwarded or NATed.
ensure_bridge() {
  if ! ip link show "$LAB_BRIDGE" >/dev/null 2>&1; then
    ip link add "$LAB_BRIDGE" type bridge
  fi
  ip link set "$LAB_BRIDGE" up
  bridge_has_addr "$LAB_CONTROLLER_ADDR" || ip addr add "$LAB_CONTROLLER_ADDR/$LAB_NETMASK" dev "$LAB_BRIDGE"
}

# bridge_has_addr ADDR: ADDR is on the lab bridge. (Read whole first: with pipefail, `ip … | grep -q` fails
# when grep stops reading early and ip gets SIGPIPE, as soon as the bridge has many addresses.)
bridge_has_addr() {
  local addrs
  addrs=$(ip -4 -o addr show dev "$LAB_BRIDGE")
  grep -q " $1/" <<<"$addrs"
}

# proc_starttime PID: the process's start time (field 22 of /proc/PID/stat, as lab/bmc/bmc.py reads it),
# for pid files that a reused PID cannot fool. Read by bash itself, no cat or awk: `hosts start` asks
# every 0.2 s while a host boots.
proc_starttime() {
  local s f
  read -r s 2>/dev/null <"/proc/$1/stat" || return 1
  read -ra f <<<"${s##*) }" # field 3 (the state) on: the command name may hold spaces
  [ -n "${f[19]:-}" ] || return 1
  printf '%s\n' "${f[19]}"
}

# pidfile_write FILE PID: records PID and its start time, for pidfile_pid. Written aside, then renamed:
# the lab and the BMCs poll these files while the process starts, and a plain `>` would let them read
# one empty (between truncation and write) and take a starting host or daemon for dead.
pidfile_write() {
  local st
  st=$(proc_starttime "$2") || return 1
  printf '%s %s\n' "$2" "$st" >"$1.new" && mv -f "$1.new" "$1"
}

# pidfile_pid FILE: prints the PID recorded in FILE if that process is still the one recorded.
pidfile_pid() {
  local pid st
  [ -r "$1" ] || return 1
  read -r pid st <"$1" || return 1
  [ -n "$pid" ] && [ "$(proc_starttime "$pid")" = "$st" ] || return 1
  printf '%s\n' "$pid"
}
