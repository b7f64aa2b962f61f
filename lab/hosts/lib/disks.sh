# Extra disks: a sparse file per disk under the host's state, attached to a loop device; the host's
# init creates the device node as /dev/<name> (e.g. /dev/sdb) in the host's own /dev. Left empty:
# making a filesystem is the project's job.

# disks_up NAME: attach every disk of NAME (creating its file once); records the loop device.
disks_up() {
  local name=$1 dir dev size file loop
  dir="$(host_state "$name")/disks"
  mkdir -p "$dir"
  while read -r dev size; do
    [ -n "$dev" ] || continue
    file="$dir/$dev.img"
    [ -f "$file" ] || truncate -s "$size" "$file" || die "$name: creating disk $dev ($size) failed"
    loop=$(losetup -n -O NAME -j "$file" | head -n 1)
    [ -n "$loop" ] || loop=$(losetup -f --show "$file") || die "$name: attaching disk $dev to a loop device failed"
    printf '%s\n' "$loop" >"$dir/$dev.loop"
  done < <(host_disks "$name")
}

# disks_down STATE_DIR: detach the loop devices of the disk files under STATE_DIR/disks.
disks_down() {
  local file loop
  for file in "$1"/disks/*.img; do
    [ -f "$file" ] || continue
    for loop in $(losetup -n -O NAME -j "$file"); do
      losetup -d "$loop" || log "$(basename "$1"): detaching $loop failed"
    done
  done
}
