# The subcommands of `hosts`.

cmd_up() {
  local t0=$SECONDS rootfs name
  log "hosts: up"
  # systemd in each host takes inotify instances; the default 128 runs out at ~20 hosts.
  [ "$(cat /proc/sys/fs/inotify/max_user_instances)" -ge 512 ] || sysctl -qw fs.inotify.max_user_instances=512
  rootfs=$(ensure_image)
  ensure_bridge
  for name in $(lab_hosts); do
    # A host made from an older image (the image's packages changed) lacks what the project now needs:
    # it is made again, bare, on the new one (the stack configures it again on its next up).
    if [ -d "$(host_state "$name")" ] && [ "$(cat "$(host_state "$name")/image" 2>/dev/null)" != "$rootfs" ]; then
      log "$name: made from an older image; recreating it bare on $rootfs"
      host_kill_procs "$name"; host_wait_gone "$name"; host_remove "$(host_state "$name")"
    fi
  done
  ssh_client_key
  for name in $(lab_hosts); do ssh_host_key "$name"; done
  ssh_write_client_files
  for name in $(lab_hosts); do
    host_created "$name" || { log "$name: creating a bare host"; host_create "$name" "$rootfs"; }
  done
  # Boots run in parallel (each in the background); disks and veths are set up one by one.
  for name in $(lab_hosts); do
    if host_running "$name"; then log "$name: already up"; else log "$name: booting"; host_boot "$name"; fi
  done
  for name in $(lab_hosts); do
    host_wait_ssh "$name" 90
    log "$name: sshd answers on $(host_addr "$name") ($((SECONDS - t0)) s)"
  done
  log "hosts: up in $((SECONDS - t0)) s; ssh -F $SSH_DIR/config <name>"
}

cmd_down() {
  local t0=$SECONDS state name
  local states=("$LAB_DIR"/hosts/*/)
  log "hosts: down"
  # Kill every host first, then wait: namespace teardown takes a moment each.
  for state in "${states[@]}"; do
    [ -d "$state" ] || continue
    host_kill_procs "$(basename "$state")"
  done
  for state in "${states[@]}"; do
    [ -d "$state" ] || continue
    name=$(basename "$state")
    host_wait_gone "$name"
    host_remove "${state%/}"
    log "$name: removed"
  done
  rmdir "$LAB_DIR/hosts" "$(cgroup2_root)/livemig" 2>/dev/null || true
  rm -f "$SSH_DIR/known_hosts" "$SSH_DIR/config"
  # The control plane (lab/openstack) listens on the bridge's address: leave the bridge to it while
  # it runs (`lab down` stops it first, so a full down removes the bridge).
  if ! ip link show "$LAB_BRIDGE" >/dev/null 2>&1; then :
  elif [ -n "$(ss -Hatn src "$LAB_CONTROLLER_ADDR" 2>/dev/null)" ]; then
    log "hosts: bridge $LAB_BRIDGE kept: sockets on $LAB_CONTROLLER_ADDR are still open (control plane up?)"
  else
    ip link del "$LAB_BRIDGE"
  fi
  log "hosts: down in $((SECONDS - t0)) s (image cache kept in $LAB_CACHE/images)"
}

# host_pss_mib NAME: memory of every process of the host (proportional set size, MiB).
host_pss_mib() {
  local pid kb total=0
  for pid in $(netns_pids "$1"); do
    kb=$(awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" 2>/dev/null) || continue
    total=$((total + ${kb:-0}))
  done
  echo $((total / 1024))
}

cmd_status() {
  local name pid sysd sshd rc=0
  for name in $(lab_hosts); do
    if pid=$(host_pid "$name"); then
      sysd=$(timeout 5 "$0" exec "$name" -- systemctl is-system-running 2>/dev/null) || true
      if ssh_banner "$(host_addr "$name")"; then sshd=yes; else sshd=no; fi
      printf '%-12s up    pid1=%-8s systemd=%-12s sshd=%-4s pss=%sMiB\n' \
        "$name" "$pid" "${sysd:-unknown}" "$sshd" "$(host_pss_mib "$name")"
    else
      printf '%-12s down\n' "$name"
      rc=1
    fi
  done
  return "$rc"
}

cmd_kill() {
  local name=$1
  host_running "$name" || die "$name: kill: host is not running"
  host_kill_procs "$name"
  host_wait_gone "$name"
  log "$name: killed (state and disks kept; 'hosts start $name' boots it again)"
}

cmd_start() {
  local name=$1 t0=$SECONDS
  host_created "$name" || die "$name: start: host was never created (run 'hosts up')"
  if host_running "$name"; then log "$name: already up"; return; fi
  ensure_bridge
  host_boot "$name"
  host_wait_ssh "$name" 90
  log "$name: up again in $((SECONDS - t0)) s"
}

cmd_reboot() {
  local name=$1 old new t0=$SECONDS deadline
  old=$(host_boot_id "$name") || die "$name: reboot: host is not running"
  host_exec "$name" systemctl reboot || die "$name: reboot: 'systemctl reboot' failed"
  deadline=$((SECONDS + 90))
  # A new boot writes a new marker in its fresh /run.
  until new=$(host_boot_id "$name") && [ -n "$new" ] && [ "$new" != "$old" ]; do
    pidfile_pid "$(host_state "$name")/supervisor.pid" >/dev/null \
      || die "$name: reboot: the host stopped instead of booting again (see $(host_state "$name")/console.log)"
    [ "$SECONDS" -lt "$deadline" ] || die "$name: reboot: no new boot within 90 s"
    sleep 0.3
  done
  host_wait_ssh "$name" 60
  log "$name: rebooted in $((SECONDS - t0)) s (boot $new)"
}
