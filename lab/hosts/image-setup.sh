#!/bin/sh
# Runs INSIDE the image's chroot (as /tmp/image-setup.sh) right after debootstrap: installs the host
# packages and shapes a rootfs that every lab host shares read-only. Per-host files (hostname,
# machine-id, ssh keys, /etc/hosts) are NOT here: the lab writes them into each host's upper dir.
# Changing this file changes the image's cache key, so the next `hosts up` rebuilds the image.
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C PATH=/usr/sbin:/usr/bin:/sbin:/bin

PACKAGES="systemd systemd-sysv dbus openssh-server openssh-client iproute2 iputils-ping procps less
  ca-certificates openssl gnutls-bin libvirt-daemon-system libvirt-clients libvirt-daemon-driver-qemu
  sasl2-bin libsasl2-modules glusterfs-server glusterfs-client xfsprogs
  busybox-static linux-image-amd64 nova-compute nova-compute-qemu python3-libvirt
  corosync pacemaker pacemaker-cli-utils crmsh fence-agents ipmitool tcpdump
  masakari-host-monitor masakari-instance-monitor masakari-process-monitor
  ceph-common"
QEMU_PACKAGES="qemu-system qemu-system-x86 qemu-system-arm qemu-system-mips qemu-system-ppc
  qemu-system-sparc qemu-system-riscv qemu-system-s390x qemu-system-misc qemu-system-common qemu-system-data
  qemu-system-modules-spice qemu-utils qemu-block-extra seabios opensbi"

# Nothing may start a daemon inside the chroot (it would run on the real machine).
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d

# Same suites as the controller's host, so nova on the computes matches nova on the controller.
cat >/etc/apt/sources.list <<'SOURCES'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
deb http://deb.debian.org/debian bookworm-backports main
SOURCES

# nova's postinst would otherwise try to configure a database, RabbitMQ and Keystone.
debconf-set-selections <<'PRESEED'
nova-common nova/configure_db boolean false
nova-common nova-common/dbconfig-install boolean false
nova-common nova/configure_rabbit boolean false
nova-common nova/configure_ksat boolean false
nova-common nova/configure_neutron boolean false
nova-common nova/configure_placement boolean false
PRESEED

# The guests boot the kernel with the project's own busybox initramfs: skip mkinitramfs (slow, CPU).
dpkg-divert --local --rename --add /usr/sbin/update-initramfs >/dev/null
printf '#!/bin/sh\nexit 0\n' >/usr/sbin/update-initramfs
chmod 0755 /usr/sbin/update-initramfs

apt-get -q update
# No recommends: they would pull libvirt's NAT network helpers (dnsmasq) and GUI bits.
# QEMU comes from bookworm-backports: 7.2 loses guest writes in a TCG live migration (lab/hosts/README.md).
# In the same transaction: nova-compute-qemu's qemu-system metapackage pins the whole family to one version.
# shellcheck disable=SC2086
apt-get -q install -y --no-install-recommends $PACKAGES $(printf '%s/bookworm-backports ' $QEMU_PACKAGES)

rm -f /usr/sbin/update-initramfs
dpkg-divert --local --rename --remove /usr/sbin/update-initramfs >/dev/null

# Live migration and the shared instances dir need the same nova uid/gid on every host.
if [ "$(id -u nova)" != 64060 ] || [ "$(id -g nova)" != 64060 ]; then echo "nova is not uid/gid 64060" >&2; exit 1; fi

# The project's Pulumi code decides where these run. libvirtd's sockets keep Debian's default
# (enabled): only the service's own boot-time start is removed. `systemctl disable libvirtd` would
# also disable the sockets (its [Install] has Also=).
systemctl disable nova-compute.service glusterd.service
# The HA stack (Corosync/Pacemaker with STONITH, Masakari's monitors) runs where the stack declares it.
systemctl disable corosync.service pacemaker.service masakari-host-monitor.service \
  masakari-instance-monitor.service masakari-process-monitor.service
rm -f /etc/systemd/system/multi-user.target.wants/libvirtd.service
# libvirt-guests would pull libvirtd up at boot; it only matters on hosts that run guests.
systemctl disable libvirt-guests.service
# No NAT network in the hosts: traffic stays on the lab bridge.
rm -f /etc/libvirt/qemu/networks/autostart/default.xml
# A container has no console to log in on; agetty on it would only fail and restart.
systemctl mask console-getty.service getty@.service
# Tracing, debugfs, configfs and fusectl are the real machine's kernel: keep them out of the hosts.
systemctl mask sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount \
  sys-fs-fuse-connections.mount
# No mirror is reachable from a host: the apt timers would only fail and degrade systemd's state.
systemctl disable apt-daily.timer apt-daily-upgrade.timer

# Key-only root login; each host gets its own ed25519 host key from the lab.
rm -f /etc/ssh/ssh_host_*
cat >/etc/ssh/sshd_config.d/livemig-lab.conf <<'SSHD'
# livemig lab: key authentication only.
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
HostKey /etc/ssh/ssh_host_ed25519_key
SSHD

# Per-host identity comes from each host's upper dir.
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
ln -s /etc/machine-id /var/lib/dbus/machine-id
echo localhost >/etc/hostname
# No DNS in the lab: names resolve through /etc/hosts.
echo '# livemig lab: no DNS, names are in /etc/hosts' >/etc/resolv.conf

rm -f /usr/sbin/policy-rc.d
# /var/cache/apt/archives is the lab's .deb cache, bind-mounted for the build: no `apt-get clean`.
rm -rf /var/lib/apt/lists/* /tmp/image-setup.sh
