# Each host's network: its own namespace with eth0 (fixed MAC, address/24), the other end of the
# veth on the lab bridge. No default route: hosts reach only the bridge's /24.

net_up() {
  local name=$1 ns veth addr
  ns=$(host_netns "$name"); veth=$(host_veth "$name"); addr=$(host_addr "$name")
  [ -e "/run/netns/$ns" ] || ip netns add "$ns" || die "$name: creating network namespace $ns failed"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name eth0 netns "$ns" || die "$name: creating veth $veth failed"
  fi
  ip link set "$veth" master "$LAB_BRIDGE" up
  printf '%s\n' "$veth" >"$(host_state "$name")/veth"
  ip -n "$ns" link set eth0 address "$(host_mac "$name")"
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" -4 addr show dev eth0 | grep -q " $addr/" \
    || ip -n "$ns" addr add "$addr/$LAB_NETMASK" dev eth0 || die "$name: adding $addr to eth0 failed"
}

# net_down STATE_DIR: works from the state alone (the host may be gone from the topology).
net_down() {
  local state=$1 name ns
  name=$(basename "$state"); ns=$(host_netns "$name")
  [ ! -f "$state/veth" ] || ip link del "$(<"$state/veth")" 2>/dev/null || true
  [ ! -e "/run/netns/$ns" ] || ip netns del "$ns" || log "$name: removing network namespace $ns failed"
}
