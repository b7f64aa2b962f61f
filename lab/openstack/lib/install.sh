# Package install: Debian 12's own OpenStack Zed packages, silently. Sourced by controlplane.
# shellcheck shell=bash

OS_PACKAGES=(
  mariadb-server rabbitmq-server
  keystone placement-api glance-api
  nova-api nova-conductor nova-scheduler nova-compute
  nova-compute-ironic            # satisfies nova-compute's hypervisor dependency without libvirt/qemu
  neutron-server
  cinder-api cinder-scheduler cinder-volume
  masakari-api masakari-engine   # automatic recovery (instance HA): API and engine on the controller
  python3-openstackclient python3-novaclient python3-cinderclient python3-masakariclient
  uwsgi-core uwsgi-plugin-python3 # keystone and placement are WSGI apps
  jq curl iproute2 procps
)
APT=(apt-get -o DPkg::Lock::Timeout=600 -q -y --no-install-recommends)

packages_missing() { # packages_missing NAME...: those not installed, one per line
  local p missing=()
  for p in "$@"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] || printf '%s\n' "${missing[@]}"
}

# Every boolean debconf question of the downloaded packages is answered false: no dbconfig, no
# endpoint registration, no admin tenant, no rabbit config. We do all of that ourselves, from empty.
preseed_false() {
  local deb tmp pkg q
  tmp=$(mktemp -d)
  {
    for deb in /var/cache/apt/archives/*.deb; do
      [ -e "$deb" ] || continue
      pkg=$(dpkg-deb -f "$deb" Package)
      rm -rf "$tmp/c"; mkdir -p "$tmp/c"
      dpkg-deb -e "$deb" "$tmp/c" 2>/dev/null || continue
      [ -f "$tmp/c/templates" ] || continue
      awk -v pkg="$pkg" '/^Template:/ { t = $2 } /^Type: boolean/ { print pkg, t, "boolean", "false" }' "$tmp/c/templates"
    done
    # dbconfig-common registers these at run time, so no templates file names them.
    for pkg in keystone glance-common glance-api nova-common nova-api neutron-common neutron-server \
               cinder-common placement-common placement-api masakari-common masakari-api; do
      for q in dbconfig-install dbconfig-upgrade dbconfig-remove configure_db; do
        echo "$pkg $pkg/$q boolean false"
      done
    done
  } | sort -u > "$tmp/sel"
  # mariadb/rabbit questions are harmless but boolean too; answering them false keeps postinsts quiet.
  debconf-set-selections "$tmp/sel" || { rm -rf "$tmp"; osdie "install: debconf-set-selections failed"; }
  rm -rf "$tmp"
}

os_install() {
  local missing t0
  mapfile -t missing < <(packages_missing "${OS_PACKAGES[@]}")
  if [ "${#missing[@]}" -eq 0 ]; then
    mkdir -p "$OS_STATE"; [ -f "$OS_MARKER" ] || date -u +%FT%TZ > "$OS_MARKER"
    return 0
  fi
  t0=$(now_ms)
  oslog "installing ${#missing[@]} missing packages (${missing[*]}) — takes ~2 min the first time"
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ] ||
    "${APT[@]}" update >/dev/null || osdie "install: apt-get update failed"
  "${APT[@]}" install --download-only "${OS_PACKAGES[@]}" >"$LAB_DIR/apt-download.log" 2>&1 ||
    osdie "install: download failed (see $LAB_DIR/apt-download.log)"
  preseed_false
  # policy-rc.d on this machine stops postinsts from starting daemons; nothing runs under systemd anyway.
  "${APT[@]}" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    install "${OS_PACKAGES[@]}" >"$LAB_DIR/apt-install.log" 2>&1 ||
    osdie "install: apt-get install failed (see $LAB_DIR/apt-install.log)"
  mapfile -t missing < <(packages_missing "${OS_PACKAGES[@]}")
  [ "${#missing[@]}" -eq 0 ] || osdie "install: still missing after install: ${missing[*]}"
  mkdir -p "$OS_STATE"; date -u +%FT%TZ > "$OS_MARKER"
  oslog "packages installed in $(( ($(now_ms) - t0) / 1000 )) s"
}
