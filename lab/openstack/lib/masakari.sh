# Masakari (instance HA) on the controller: API and engine, their config, and what the computes'
# monitors need to reach it. Sourced by controlplane.
# shellcheck shell=bash

P_MASAKARI=15868
# Engine timings, in one file of their own so the lab can switch between the two (`controlplane
# masakari-timings tuned|defaults`; the benchmark measures both).
OS_MASAKARI_TIMINGS=$OS_ETC/masakari-timings.conf
OS_MONITOR_SETTINGS=$OS_STATE/masakari-monitors.ini   # for the computes' monitors; read by the stack

# The engine's waits, and why the lab may shorten them. Masakari's defaults assume nothing else proved
# the host dead: it disables the compute service and sleeps 180 s "until nova recognizes the node
# down". Here the computes' monitors report a host only once Pacemaker has fenced it (its STONITH
# confirmed by the BMC), and the same fencing forces the compute service down in Nova (fence_compute),
# so Nova accepts the evacuation at once: the waits only cover Nova's and the message bus's latency.
masakari_timings() {
  case "$1" in
    tuned) cat <<INI
# livemig lab: fencing is confirmed before the engine hears of a failed host (see lib/masakari.sh).
[DEFAULT]
wait_period_after_service_update = 3
wait_period_after_evacuation = 90
wait_period_after_power_off = 60
wait_period_after_power_on = 30
verify_interval = 1
host_failure_recovery_threads = 4
duplicate_notification_detection_interval = 30
INI
    ;;
    defaults) echo "# Masakari's shipped defaults (nothing set)" ;;
    *) osdie "masakari timings: tuned or defaults, not '$1'" ;;
  esac
}

write_masakari_conf() {
  write_conf "$OS_ETC/masakari.conf" <<INI
[DEFAULT]
host = controller
transport_url = $(rabbit_url)
auth_strategy = keystone
masakari_api_listen = $C
masakari_api_listen_port = $P_MASAKARI
masakari_api_workers = 1
state_path = $OS_RUN/masakari
log_dir = $OS_LOGS/masakari
# The engine's own Nova calls (disable, evacuate, stop/start) as the masakari service user.
os_privileged_user_name = masakari
os_privileged_user_password = $(secret MASAKARI_PASS)
os_privileged_user_tenant = service
os_privileged_user_auth_url = http://$C:$P_KEYSTONE/v3
os_user_domain_name = Default
os_project_domain_name = Default
os_region_name = $OS_REGION
nova_catalog_admin_info = compute:nova:publicURL
[database]
connection = $(db_url masakari MASAKARI_DB masakari)
# No [taskflow] connection: Debian 12's python3-taskflow ships without its alembic migrations, so the
# persistence tables cannot be created ("No config file …/alembic/alembic.ini"); the engine then keeps its
# recovery flows in memory.
[host_failure]
evacuate_all_instances = true
[instance_failure]
# Every guest is restarted by the instance monitor's notifications, not only those tagged HA_Enabled.
process_all_instances = true
[oslo_concurrency]
lock_path = $OS_RUN/masakari/lock
[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 60
$(authtoken masakari MASAKARI_PASS)
INI
  [ -f "$OS_MASAKARI_TIMINGS" ] || masakari_timings tuned | write_conf "$OS_MASAKARI_TIMINGS"
  # The monitors on the computes send notifications (an admin API) and fence_compute forces compute
  # services down: both as the masakari service user. The stack reads this file and keeps it secret.
  write_conf "$OS_MONITOR_SETTINGS" <<INI
[api]
auth_url = http://$C:$P_KEYSTONE/v3
project_domain_name = Default
user_domain_name = Default
project_name = service
username = masakari
password = $(secret MASAKARI_PASS)
region = $OS_REGION
INI
}

sync_masakari() { mkdir -p "$OS_RUN/masakari" "$OS_LOGS/masakari"; schema masakari masakari-manage --config-file "$OS_ETC/masakari.conf" db sync; }

# masakari_cmd NAME: argv of masakari-api or masakari-engine, through the compatibility shim.
masakari_cmd() {
  SVC_CMD=("$PY" "$OS_HERE/masakari-compat.py" "$1" --config-file "$OS_ETC/masakari.conf" --config-file "$OS_MASAKARI_TIMINGS")
}

# controlplane masakari-timings tuned|defaults: switch the engine's waits and restart it.
cmd_masakari_timings() {
  [ -f "$OS_BOOTSTRAPPED" ] || osdie "masakari-timings: the control plane was never brought up"
  masakari_timings "$1" | write_conf "$OS_MASAKARI_TIMINGS"
  svc_stop masakari-engine
  svc_start masakari-engine
  oslog "masakari-engine restarted with its $1 timings"
}
