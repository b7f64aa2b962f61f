# The host image: one Debian bookworm rootfs, built once and shared read-only by every host as the
# overlayfs lower layer. Cached under $LAB_CACHE/images/host-<key>/, where <key> hashes the scripts
# that build it, so editing them makes the next `up` build a new image (old ones can be deleted).

IMAGE_SUITE=bookworm
IMAGE_MIRROR=http://deb.debian.org/debian

image_key() {
  cat "$HOSTS_HOME/lib/image.sh" "$HOSTS_HOME/image-setup.sh" | sha256sum | cut -c1-16
}

image_dir() { printf '%s/images/host-%s\n' "$LAB_CACHE" "$(image_key)"; }

# ensure_image: prints the rootfs path, building the image first if it is not cached yet.
ensure_image() {
  local dir
  dir=$(image_dir)
  if [ ! -f "$dir/complete" ]; then
    mkdir -p "$LAB_CACHE/images"
    # One build at a time, even if two `up`s race.
    exec 8>"$LAB_CACHE/images/.lock"
    flock 8
    [ -f "$dir/complete" ] || build_image "$dir"
    exec 8>&-
  fi
  printf '%s/rootfs\n' "$dir"
}

build_image() {
  local dir=$1 tmp="$1.building" t0=$SECONDS
  rm -rf "$tmp"
  mkdir -p "$tmp" "$LAB_CACHE/debootstrap-debs" "$LAB_CACHE/apt-archives"
  log "image: debootstrap $IMAGE_SUITE (minbase) from $IMAGE_MIRROR (log: $tmp/build.log)"
  debootstrap --variant=minbase --cache-dir="$LAB_CACHE/debootstrap-debs" \
      "$IMAGE_SUITE" "$tmp/rootfs" "$IMAGE_MIRROR" >"$tmp/build.log" 2>&1 \
    || image_fail "$tmp" "debootstrap"
  log "image: debootstrap done in $((SECONDS - t0)) s; installing packages in the chroot"
  cp "$HOSTS_HOME/image-setup.sh" "$tmp/rootfs/tmp/image-setup.sh"
  cp /etc/resolv.conf "$tmp/rootfs/etc/resolv.conf"
  # A private mount namespace: /proc and the .deb cache bind-mount vanish with it, even if the build
  # dies half way. No /dev or /sys from the real machine goes into the chroot.
  # shellcheck disable=SC2016 # expanded by the inner sh
  unshare --mount --propagation private sh -euc '
      mount -t proc proc "$1/proc"
      mount --bind "$2" "$1/var/cache/apt/archives"
      exec chroot "$1" /bin/sh /tmp/image-setup.sh' sh "$tmp/rootfs" "$LAB_CACHE/apt-archives" \
      >>"$tmp/build.log" 2>&1 \
    || image_fail "$tmp" "package install in the chroot"
  # apt's package caches and the .debs debootstrap left behind are dead weight in the image.
  rm -f "$tmp"/rootfs/var/cache/apt/*.bin "$tmp"/rootfs/var/cache/apt/archives/*.deb
  rm -rf "$dir"
  mv "$tmp" "$dir"
  du -sm "$dir/rootfs" | awk '{print $1}' >"$dir/size-mib"
  touch "$dir/complete"
  log "image: built in $((SECONDS - t0)) s, $(cat "$dir/size-mib") MiB: $dir"
  prune_images "$dir"
}

# prune_images KEEP: delete older images that no existing host still uses as its lower layer.
prune_images() {
  local img
  for img in "$LAB_CACHE"/images/host-*/; do
    img=${img%/}
    [ "$img" != "$1" ] || continue
    if cat "$LAB_DIR"/hosts/*/image 2>/dev/null | grep -qxF "$img/rootfs"; then continue; fi
    log "image: removing the old image $img"
    rm -rf "$img"
  done
}

image_fail() {
  tail -n 25 "$1/build.log" >&2
  die "image: $2 failed (full log: $1/build.log)"
}
