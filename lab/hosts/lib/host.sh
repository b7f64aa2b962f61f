# One host's lifecycle: create its state (upper dir with its identity), boot it, wait for sshd,
# run commands inside it, kill it, remove it.

# lab_etc_hosts: /etc/hosts for every host, so peers resolve each other by name (gluster peers,
# libvirt URIs such as qemu+tls://compute-2/system).
lab_etc_hosts() {
  local name
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
  printf '# livemig lab\n%s\tcontroller\n' "$LAB_CONTROLLER_ADDR"
  for name in $(lab_hosts); do printf '%s\t%s\n' "$(host_addr "$name")" "$name"; done
}

# host_create NAME ROOTFS: a bare host: an upper dir holding only its identity and ssh material.
host_create() {
  local name=$1 rootfs=$2 state upper
  state=$(host_state "$name"); upper=$state/upper
  rm -rf "$upper" "$state/work" "$state/disks"
  mkdir -p "$state/root" "$state/work"
  install -d -m 0755 "$upper/etc/ssh"
  install -d -m 0700 "$upper/root" "$upper/root/.ssh"
  printf '%s\n' "$name" >"$upper/etc/hostname"
  tr -d '-' </proc/sys/kernel/random/uuid >"$upper/etc/machine-id"
  lab_etc_hosts >"$upper/etc/hosts"
  install -m 0600 "$state/ssh/ssh_host_ed25519_key" "$upper/etc/ssh/"
  install -m 0644 "$state/ssh/ssh_host_ed25519_key.pub" "$upper/etc/ssh/"
  ssh_known_hosts >"$upper/etc/ssh/ssh_known_hosts"
  install -m 0600 "$SSH_DIR/id_ed25519" "$upper/root/.ssh/id_ed25519"
  install -m 0644 "$SSH_DIR/id_ed25519.pub" "$upper/root/.ssh/id_ed25519.pub"
  install -m 0600 "$SSH_DIR/id_ed25519.pub" "$upper/root/.ssh/authorized_keys"
  # A host keeps the image it was created on, even if a newer one is built later.
  printf '%s\n' "$rootfs" >"$state/image"
  touch "$state/created"
}

# host_boot NAME: network, disks and cgroup ready, then the supervisor (`boot`) in the background.
host_boot() {
  local name=$1 state rootfs cg
  state=$(host_state "$name")
  rootfs=$(<"$state/image")
  [ -d "$rootfs" ] || die "$name: its image $rootfs is gone; run 'hosts down' then 'hosts up'"
  net_up "$name"
  disks_up "$name"
  cg=$(host_cgroup "$name")
  # Empty cgroups left by the previous boot's systemd; it makes its own again.
  [ ! -d "$cg" ] || find "$cg" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
  mkdir -p "$cg"
  rm -f "$state/pid" "$state/supervisor.pid"
  # setsid: the host outlives this command and has no controlling terminal.
  setsid -f nsenter --net="/run/netns/$(host_netns "$name")" \
    "$HOSTS_HOME/boot" "$name" "$state" "$rootfs" "$cg" </dev/null >>"$state/console.log" 2>&1
}

# host_wait_ssh NAME [TIMEOUT]: until sshd greets on the host's address and our key logs in.
host_wait_ssh() {
  local name=$1 timeout=${2:-60} addr state deadline
  addr=$(host_addr "$name"); state=$(host_state "$name")
  deadline=$((SECONDS + timeout))
  until ssh_banner "$addr"; do
    if [ -f "$state/supervisor.pid" ] && ! pidfile_pid "$state/supervisor.pid" >/dev/null; then
      tail -n 5 "$state/console.log" >&2
      die "$name: boot: PID 1 exited before sshd answered (console log: $state/console.log)"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "$name: boot: sshd on $addr:22 did not answer within $timeout s"
    sleep 0.2
  done
  lab_ssh "$name" true || die "$name: ssh: sshd answers but key login as root failed"
}

# host_exec NAME CMD…: CMD inside all the host's namespaces and root, as root, with a clean environment.
host_exec() {
  local name=$1 pid
  shift
  pid=$(host_pid "$name") || die "$name: exec: host is not running"
  nsenter --target "$pid" --mount --uts --ipc --net --pid --cgroup --root --wd -- \
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
}

host_boot_id() { host_exec "$1" cat /run/livemig-boot-id 2>/dev/null; }

# host_kill_procs NAME: TERM to the supervisor (it then stops instead of rebooting), KILL to PID 1
# (the kernel then kills every process in the host's pid namespace). Does not wait.
host_kill_procs() {
  local state pid
  state=$(host_state "$1")
  if pid=$(pidfile_pid "$state/supervisor.pid"); then kill -TERM "$pid" 2>/dev/null || true; fi
  if pid=$(pidfile_pid "$state/pid"); then kill -KILL "$pid" 2>/dev/null || true; fi
}

# host_wait_gone NAME [TIMEOUT]: until no process is left in the host's network namespace; after
# the timeout, kills whatever is left there (only processes inside our namespace) and checks again.
host_wait_gone() {
  local name=$1 deadline=$((SECONDS + ${2:-15})) pids
  while pids=$(netns_pids "$name"); [ -n "$pids" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
      sleep 1
      [ -z "$(netns_pids "$name")" ] || die "$name: stop: processes still running: $(netns_pids "$name" | tr '\n' ' ')"
      return
    fi
    sleep 0.2
  done
}

# host_remove NAME_OR_STATE_DIR: everything of a stopped host except the image.
host_remove() {
  local state=$1 name cg
  name=$(basename "$state")
  net_down "$state"
  disks_down "$state"
  cg=$(host_cgroup "$name")
  [ ! -d "$cg" ] || find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || log "$name: removing cgroup $cg failed"
  rm -rf "$state"
}
