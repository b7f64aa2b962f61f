#!/usr/bin/env bash
# The peer for the host-configuration benchmark: the walkthrough's own commands, run one after the other
# over SSH as an operator following the guide would (its layout: libvirt TCP with auth_tcp "none",
# GlusterFS replica 2 over four bricks, FUSE mounts). No checks, no idempotence, no TLS: a floor, not a
# peer in features. Usage: walkthrough-by-hand.sh SSH_CONFIG
set -euo pipefail
cfg=$1
on() { local h=$1; shift; ssh -n -F "$cfg" "$h" "$@"; }

for n in n1 n2 n3 n4; do
  on "$n" 'mkfs.xfs -f -i size=512 /dev/sdb >/dev/null && mkdir -p /brick1 && mount /dev/sdb /brick1 && mkdir -p /brick1/sdb && systemctl start glusterd'
done
for p in 10.77.0.22 10.77.0.23 10.77.0.24; do on n1 "gluster peer probe $p"; done
until [ "$(on n1 'gluster pool list' | grep -c Connected)" -ge 4 ]; do sleep 1; done
on n1 'gluster --mode=script volume create nova-gluster-vol replica 2 10.77.0.21:/brick1/sdb 10.77.0.22:/brick1/sdb 10.77.0.23:/brick1/sdb 10.77.0.24:/brick1/sdb'
on n1 'gluster volume start nova-gluster-vol'
for c in compute-1 compute-2; do
  on "$c" 'printf "listen_tls = 0\nlisten_tcp = 1\nauth_tcp = \"none\"\nhost_uuid_source = \"machine-id\"\n" >> /etc/libvirt/libvirtd.conf'
  on "$c" 'systemctl stop libvirtd; systemctl enable --now libvirtd-tcp.socket; systemctl start libvirtd'
  on "$c" 'printf "[DEFAULT]\nlive_migration_flag=VIR_MIGRATE_UNDEFINE_SOURCE,VIR_MIGRATE_PEER2PEER,VIR_MIGRATE_LIVE\n" >> /etc/nova/nova.conf'
  on "$c" 'mount -t glusterfs 10.77.0.21:/nova-gluster-vol /var/lib/nova/instances && chown -R nova:nova /var/lib/nova/instances'
done
on compute-1 'virsh -c qemu+tcp://compute-2/system hostname' >/dev/null
