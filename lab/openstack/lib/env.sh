# Shared by every controlplane step: paths, ports, small helpers. Sourced, never run.
# shellcheck shell=bash

# shellcheck source=../../lib/common.sh
. "$OS_HERE/../lib/common.sh"

OS_STATE=$LAB_DIR/openstack          # everything runtime; `down` empties it (except the marker)
OS_ETC=$OS_STATE/etc                 # generated config files (0600, they hold passwords)
OS_LOGS=$OS_STATE/logs
OS_PIDS=$OS_STATE/pids
OS_RUN=$OS_STATE/run                 # sockets, lock files, service state dirs
OS_SECRETS=$OS_STATE/secrets
OS_COMPUTE_SETTINGS=$OS_STATE/compute-settings.ini   # for real computes; read by the project's stack
OS_MARKER=$OS_STATE/.packages-installed
OS_CLOUDS=/etc/openstack/clouds.yaml
OS_CLOUD=livemig-lab
OS_REGION=RegionOne
C=$LAB_CONTROLLER_ADDR               # every listener and every catalog endpoint uses the bridge address

# API ports: the usual OpenStack ones, so real computes and the project find them where they expect.
P_KEYSTONE=5000 P_PLACEMENT=8778 P_GLANCE=9292 P_NOVA=8774 P_NEUTRON=9696 P_CINDER=8776
P_MYSQL=3306 P_RABBIT=5672

# The distro python: a pyenv shim may come first in PATH, and the packages' tools need Debian's.
PY=/usr/bin/python3
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

oslog() { log "openstack: $*"; }
osdie() { die "openstack: $*"; }

# Fake computes come from the topology: roles compute (real hosts later; fake driver for now) and fake-compute.
# The computes the control plane runs itself (fake driver). Real ones (role compute) run nova-compute
# inside their lab host once the project's stack configures it.
os_computes() { topology_rows | awk '$2 == "fake-compute" { print $1 }'; }

# secret NAME: a password from the secrets file (never printed by this tool).
secret() {
  local v
  v=$(sed -n "s/^$1=//p" "$OS_SECRETS" 2>/dev/null)
  [ -n "$v" ] || osdie "secret '$1' missing from $OS_SECRETS: run 'controlplane down' then 'up' to regenerate"
  printf '%s' "$v"
}

# Milliseconds since the epoch, for timing steps.
now_ms() { date +%s%3N; }
