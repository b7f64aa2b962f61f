# Config files for every service, generated from the secrets into $OS_ETC (0600: they hold passwords).
# The packages' own /etc files (api-paste, policy, rootwrap) are used read-only; nothing in /etc/<svc>
# is changed, so a later real compute install on this machine is not surprised.
# shellcheck shell=bash

db_url() { printf 'mysql+pymysql://%s:%s@%s:%s/%s?charset=utf8' "$1" "$(secret "$2")" "$C" "$P_MYSQL" "$3"; }
rabbit_url() { printf 'rabbit://openstack:%s@%s:%s/' "$(secret RABBIT_PASS)" "$C" "$P_RABBIT"; }

# ks_auth SECTION USER SECRET: a keystoneauth password section for a service user.
ks_auth() {
  cat <<INI
[$1]
auth_type = password
auth_url = http://$C:$P_KEYSTONE/v3
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $(secret "$3")
region_name = $OS_REGION
INI
}

# authtoken USER SECRET: keystonemiddleware for an API service.
authtoken() {
  ks_auth keystone_authtoken "$1" "$2"
  echo "www_authenticate_uri = http://$C:$P_KEYSTONE/v3"
  echo
}

write_conf() { # write_conf FILE: stdin → FILE, 0600
  ( umask 077; cat > "$1.tmp" ) && mv -f "$1.tmp" "$1"
}

write_configs() {
  mkdir -p "$OS_ETC"
  local rb; rb=$(rabbit_url)

  write_conf "$OS_ETC/my.cnf" <<INI
# Private MariaDB instance: own datadir and socket; listens on the bridge address only.
[mysqld]
user = mysql
datadir = $OS_RUN/mysql
socket = $OS_RUN/mysqld/mysqld.sock
pid-file = $OS_RUN/mysqld/mysqld.pid
bind-address = $C
port = $P_MYSQL
log-error = $OS_LOGS/mariadb/mariadb.log
skip-name-resolve
skip-log-bin
# Lab durability is not needed; db syncs run much faster without per-commit fsync.
innodb_flush_log_at_trx_commit = 0
innodb_doublewrite = 0
sync_binlog = 0
innodb_buffer_pool_size = 128M
performance_schema = OFF
max_connections = 1000
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
[client]
socket = $OS_RUN/mysqld/mysqld.sock
INI
  chmod 0644 "$OS_ETC/my.cnf"   # no secret; mariadbd runs as mysql and must read it

  write_conf "$OS_ETC/rabbitmq.conf" <<INI
listeners.tcp.1 = $C:$P_RABBIT
# The one user every service uses, created when the (empty) node first boots: no rabbitmqctl round trips.
default_user = openstack
default_pass = $(secret RABBIT_PASS)
default_vhost = /
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
loopback_users = none
log.file.level = warning
INI

  write_conf "$OS_ETC/keystone.conf" <<INI
[DEFAULT]
log_file = $OS_LOGS/keystone.log
[database]
connection = $(db_url keystone KEYSTONE_DB keystone)
[token]
provider = fernet
[fernet_tokens]
key_repository = $OS_RUN/keystone/fernet-keys
[fernet_receipts]
key_repository = $OS_RUN/keystone/fernet-keys
[credential]
key_repository = $OS_RUN/keystone/credential-keys
[identity]
# bcrypt's minimum cost: user creation and every password login are ~30x cheaper (a lab, not production).
password_hash_rounds = 4
[cache]
# In-process cache (one uwsgi process): token validation stops hitting the DB on every API call.
enabled = true
backend = dogpile.cache.memory
INI

  write_conf "$OS_ETC/placement.conf" <<INI
[DEFAULT]
log_file = $OS_LOGS/placement.log
[placement_database]
connection = $(db_url placement PLACEMENT_DB placement)
[api]
auth_strategy = keystone
$(authtoken placement PLACEMENT_PASS)
INI

  write_conf "$OS_ETC/glance-api.conf" <<INI
[DEFAULT]
bind_host = $C
bind_port = $P_GLANCE
# 0: serve in the main process (no forked worker): one python process less.
workers = 0
log_file = $OS_LOGS/glance-api.log
enabled_backends = fs:file
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $OS_RUN/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $OS_RUN/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $OS_RUN/glance/tasks
[database]
connection = $(db_url glance GLANCE_DB glance)
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[oslo_concurrency]
lock_path = $OS_RUN/glance/lock
$(authtoken glance GLANCE_PASS)
INI

  write_conf "$OS_ETC/neutron.conf" <<INI
# neutron-server alone, API only (no agents): nova needs a network endpoint to show and move servers.
[DEFAULT]
host = controller
bind_host = $C
bind_port = $P_NEUTRON
core_plugin = ml2
# Without port_forwarding, GET /v2.0/ports fails with "'Port' has no attribute 'port_forwardings'".
service_plugins = router,port_forwarding
auth_strategy = keystone
transport_url = $rb
# api 0: serve in the main process; rpc cannot go below one forked worker.
api_workers = 0
rpc_workers = 1
rpc_state_report_workers = 0
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
state_path = $OS_RUN/neutron
api_paste_config = /etc/neutron/api-paste.ini
log_file = $OS_LOGS/neutron-server.log
[database]
connection = $(db_url neutron NEUTRON_DB neutron)
[ml2]
type_drivers = flat,vlan
tenant_network_types =
mechanism_drivers =
extension_drivers = port_security
[oslo_concurrency]
lock_path = $OS_RUN/neutron/lock
[agent]
root_helper = sudo /usr/bin/neutron-rootwrap /etc/neutron/rootwrap.conf
$(authtoken neutron NEUTRON_PASS)
INI

  write_conf "$OS_ETC/cinder.conf" <<INI
[DEFAULT]
host = controller
my_ip = $C
osapi_volume_listen = $C
osapi_volume_listen_port = $P_CINDER
osapi_volume_workers = 1
auth_strategy = keystone
transport_url = $rb
state_path = $OS_RUN/cinder
api_paste_config = /etc/cinder/api-paste.ini
# cinder-volume reports its pools to the scheduler on this period (default 60 s); until the first report
# every volume fails with "Filtering removed all hosts".
periodic_interval = 10
enabled_backends = rbd
# Where cinder-volume turns an image into a volume's data (a bootable volume from Glance).
image_conversion_dir = $OS_RUN/cinder/conversion
# The lab's Ceph (lib/ceph.sh): no LVM here (no device-mapper in this kernel), and RBD needs no kernel
# module. Nova's computes open the volumes with the same user and libvirt secret.
[rbd]
volume_driver = cinder.volume.drivers.rbd.RBDDriver
volume_backend_name = rbd
rbd_pool = volumes
rbd_ceph_conf = $CEPH_CONF
rbd_user = cinder
rbd_secret_uuid = $(ceph_secret_uuid)
rbd_flatten_volume_from_snapshot = false
[database]
connection = $(db_url cinder CINDER_DB cinder)
[oslo_concurrency]
lock_path = $OS_RUN/cinder/lock
$(authtoken cinder CINDER_PASS)
$(ks_auth nova cinder CINDER_PASS)
INI
  # cinder-* and nova-api/-conductor/-scheduler share one file each; --log-file sets theirs (daemons.sh).
  mkdir -p "$OS_RUN/cinder/conversion"

  write_nova_controller_conf
  write_masakari_conf
  local c
  for c in $(os_computes); do write_nova_compute_conf "$c" "$C" "$OS_ETC/nova-compute-$c.conf"; done
  write_compute_settings
}

# What a real compute (nova-compute inside a lab host) needs from the control plane: messaging and service
# credentials, nothing host-specific. The project's stack reads this file (novaCompute.controllerSettingsPath)
# and writes it into each compute's nova.conf; it holds passwords, hence 0600.
write_compute_settings() {
  write_conf "$OS_COMPUTE_SETTINGS" <<INI
[DEFAULT]
transport_url = $(rabbit_url)
$(nova_common)
INI
}

# Sections every nova process needs: messaging, service user, placement/neutron/glance/cinder auth.
nova_common() {
  cat <<INI
[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 60
[api]
auth_strategy = keystone
[vnc]
enabled = false
[glance]
region_name = $OS_REGION
[cinder]
os_region_name = $OS_REGION
$(ks_auth placement nova NOVA_PASS)
$(ks_auth neutron nova NOVA_PASS)
# Cinder 21 wants the nova service token (role 'service') to let nova manage attachments on evacuate.
$(ks_auth service_user nova NOVA_PASS)
send_service_user_token = true
INI
}

write_nova_controller_conf() {
  write_conf "$OS_ETC/nova.conf" <<INI
[DEFAULT]
# A stable service host name for conductor/scheduler, whatever this machine is called.
host = controller
my_ip = $C
transport_url = $(rabbit_url)
enabled_apis = osapi_compute
osapi_compute_listen = $C
osapi_compute_listen_port = $P_NOVA
osapi_compute_workers = 1
state_path = $OS_RUN/nova
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
[api_database]
connection = $(db_url nova NOVA_DB nova_api)
[database]
connection = $(db_url nova NOVA_DB nova)
[conductor]
workers = 1
[scheduler]
workers = 1
# Computes that register later (e.g. real ones in the lab hosts) are mapped without a manual step.
discover_hosts_in_cells_interval = 30
[filter_scheduler]
# The real computes (availability zone nova) and the fake ones (zone fake) must never swap guests. Zed
# filters zones in Placement, which cannot express the default zone "nova" (it has no aggregate), so a
# scheduler-chosen evacuation of a real guest could land on a fake compute: the AvailabilityZoneFilter
# checks every host against the zone in the server's request spec, evacuations included.
enabled_filters = AvailabilityZoneFilter,ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,ServerGroupAntiAffinityFilter,ServerGroupAffinityFilter
[quota]
# Lab: scale tests boot many tiny servers.
instances = -1
cores = -1
ram = -1
[oslo_concurrency]
lock_path = $OS_RUN/nova/lock
$(authtoken nova NOVA_PASS)
$(nova_common)
INI
}

# write_nova_compute_conf NAME MY_IP FILE: a fake compute's nova.conf, without a [database] section.
# Fake computes (several on this machine) keep state and locks apart under $OS_RUN.
write_nova_compute_conf() {
  local name=$1 ip=$2 file=$3 st=$OS_RUN/nova-compute-$1 logf=$OS_LOGS/nova-compute@$1.log
  write_conf "$file" <<INI
[DEFAULT]
host = $name
my_ip = $ip
transport_url = $(rabbit_url)
# FakeLiveMigrateDriver (not FakeDriver): forgets a migrated guest on the source, so moving back works.
compute_driver = fake.FakeLiveMigrateDriver
state_path = $st
instances_path = $st/instances
log_file = $logf
[oslo_concurrency]
lock_path = $st/lock
$(nova_common)
INI
}
