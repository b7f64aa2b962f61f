# Daemons: started by hand (no systemd here), one process group each, stopped by PID.
# shellcheck shell=bash

# Start order. Infrastructure first; every OpenStack service after the catalog exists (their service
# tokens cache the catalog for an hour).
OS_INFRA=(mariadb epmd rabbitmq)
OS_APIS=(keystone placement glance-api neutron-server nova-api cinder-api masakari-api)
OS_WORKERS=(nova-conductor nova-scheduler cinder-scheduler cinder-volume masakari-engine)

os_services() { # every service name, in start order
  printf '%s\n' "${OS_INFRA[@]}" "${CEPH_SERVICES[@]}" "${OS_APIS[@]}" "${OS_WORKERS[@]}"
  local c; for c in $(os_computes); do echo "nova-compute@$c"; done
}

rabbit_env() {
  # The server's own environment: rabbitmqctl must see the same HOME (Erlang cookie) and node name.
  export HOME=$OS_RUN/rabbitmq RABBITMQ_NODENAME=rabbit@localhost \
    RABBITMQ_CONFIG_FILE=$OS_ETC/rabbitmq.conf \
    RABBITMQ_ENABLED_PLUGINS_FILE=$OS_RUN/rabbitmq/enabled_plugins \
    RABBITMQ_MNESIA_BASE=$OS_RUN/rabbitmq/mnesia RABBITMQ_LOG_BASE=$OS_LOGS/rabbitmq \
    RABBITMQ_PID_FILE=$OS_RUN/rabbitmq/rabbit.pid \
    ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT=25672 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' \
    RABBITMQ_CTL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
}
rabbitmqctl() { ( rabbit_env; /usr/lib/rabbitmq/bin/rabbitmqctl "$@" ); }

uwsgi_cmd() { # uwsgi_cmd PORT WSGI_FILE ENV...
  local port=$1 file=$2; shift 2
  SVC_CMD=(/usr/bin/uwsgi --plugin python3 --http-socket "$C:$port" --wsgi-file "$file"
    --master --die-on-term --need-app --processes 1 --threads 4 --buffer-size 65535
    --disable-logging
    # Without it openstackclient fails half its lookups ("Resource.get() takes 1 positional argument").
    --add-header 'Connection: close')
  local e; for e in "$@"; do SVC_CMD+=(--env "$e"); done
}

# svc_def NAME: sets SVC_CMD (argv) and SVC_URL (an HTTP URL that answers when healthy, or empty).
svc_def() {
  SVC_URL=
  case "$1" in
    mariadb)  SVC_CMD=(/usr/sbin/mariadbd --defaults-file="$OS_ETC/my.cnf") ;;
    # Our own epmd (loopback only, foreground) so we know its PID; rabbit would otherwise daemonize one.
    epmd)     SVC_CMD=(/usr/bin/epmd -address 127.0.0.1) ;;
    rabbitmq) SVC_CMD=(/usr/lib/rabbitmq/bin/rabbitmq-server) ;;
    keystone) uwsgi_cmd "$P_KEYSTONE" /usr/bin/keystone-wsgi-public \
                "OS_KEYSTONE_CONFIG_DIR=$OS_ETC" "OS_KEYSTONE_CONFIG_FILES=keystone.conf"
              SVC_URL=http://$C:$P_KEYSTONE/v3 ;;
    placement) uwsgi_cmd "$P_PLACEMENT" /usr/bin/placement-api \
                "OS_PLACEMENT_CONFIG_DIR=$OS_ETC" "OS_PLACEMENT_CONFIG_FILES=placement.conf"
              SVC_URL=http://$C:$P_PLACEMENT/ ;;
    glance-api) SVC_CMD=(/usr/bin/glance-api --config-file "$OS_ETC/glance-api.conf")
              SVC_URL=http://$C:$P_GLANCE/versions ;;
    neutron-server) SVC_CMD=(/usr/bin/neutron-server --config-file "$OS_ETC/neutron.conf")
              SVC_URL=http://$C:$P_NEUTRON/ ;;
    nova-api|nova-conductor|nova-scheduler)
              SVC_CMD=("/usr/bin/$1" --config-file "$OS_ETC/nova.conf" --log-file "$OS_LOGS/$1.log")
              [ "$1" != nova-api ] || SVC_URL=http://$C:$P_NOVA/ ;;
    cinder-api|cinder-scheduler|cinder-volume)
              SVC_CMD=("/usr/bin/$1" --config-file "$OS_ETC/cinder.conf" --log-file "$OS_LOGS/$1.log")
              [ "$1" != cinder-api ] || SVC_URL=http://$C:$P_CINDER/ ;;
    masakari-api) masakari_cmd masakari-api; SVC_URL=http://$C:$P_MASAKARI/ ;;
    masakari-engine) masakari_cmd masakari-engine ;;
    nova-compute@*)
              local c=${1#nova-compute@}
              [ -f "$OS_ETC/nova-compute-$c.conf" ] || osdie "$1: no such compute (computes: $(os_computes | tr '\n' ' '))"
              SVC_CMD=(/usr/bin/nova-compute --config-file "$OS_ETC/nova-compute-$c.conf") ;;
    ceph-*)   ceph_svc_def "$1" || osdie "unknown service '$1' (services: $(os_services | tr '\n' ' '))" ;;
    *) osdie "unknown service '$1' (services: $(os_services | tr '\n' ' '))" ;;
  esac
}

pidfile() { printf '%s/%s.pid' "$OS_PIDS" "$1"; }
# The pidfile holds "PID starttime": after a reboot of the machine a PID may name another process
# (one of the lab hosts' systemd, say), which must never be taken for the service or be stopped.
svc_pid() { # prints the recorded PID if that process is still the one that was started
  local p; p=$(pidfile_pid "$(pidfile "$1")") && printf '%s' "$p"
}

# Starting and stopping are serialised by one lock: a BMC's "power on" and a test's own start of the same
# fake compute, racing, once left two nova-computes serving one host (each forgetting the other's guests).
svc_lock() { mkdir -p "$OS_PIDS"; exec {SVC_LOCK_FD}>"$OS_PIDS/.lock"; flock -w 300 "$SVC_LOCK_FD" || osdie "another controlplane start/stop holds $OS_PIDS/.lock for over 300 s"; }
svc_unlock() { exec {SVC_LOCK_FD}>&-; }

svc_start() { svc_lock; svc_start_locked "$1"; svc_unlock; }
svc_start_locked() {
  local name=$1 pid
  if pid=$(svc_pid "$name"); then echo "  $name already running (pid $pid)" >&2; return 0; fi
  svc_def "$name"
  mkdir -p "$OS_PIDS" "$OS_LOGS"
  # setsid: each daemon leads its own process group, so stopping it also reaches its workers.
  # The subshell keeps rabbit's environment (HOME, …) away from the other services, and the lock away
  # from the daemon (it would hold it for its lifetime).
  ( exec {SVC_LOCK_FD}>&-
    [ "$name" != rabbitmq ] || rabbit_env
    cd "$OS_RUN" || exit 1
    exec setsid "${SVC_CMD[@]}" </dev/null >>"$OS_LOGS/$name.out" 2>&1 ) &
  pid=$!
  pidfile_write "$(pidfile "$name")" "$pid" || osdie "$name ended as soon as it started; its output: $OS_LOGS/$name.out"
  echo "  started $name (pid $pid)" >&2
}

# svc_stop NAME...: SIGTERM to each process group, wait up to OS_STOP_WAIT s, then SIGKILL.
OS_STOP_WAIT=${OS_STOP_WAIT:-20}
svc_stop() { svc_lock; svc_stop_locked "$@"; svc_unlock; }
svc_stop_locked() {
  local name pid pids=() names=() i left
  for name in "$@"; do
    if pid=$(svc_pid "$name"); then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid"); names+=("$name")
    fi
    rm -f "$(pidfile "$name")"
  done
  [ "${#pids[@]}" -gt 0 ] || return 0
  for ((i = 0; i < OS_STOP_WAIT * 5; i++)); do
    left=0
    for pid in "${pids[@]}"; do pgrp_alive "$pid" && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.2
  done
  for i in "${!pids[@]}"; do
    if pgrp_alive "${pids[$i]}"; then
      echo "  ${names[$i]} did not exit within ${OS_STOP_WAIT}s of SIGTERM: SIGKILL" >&2
      kill -KILL -- "-${pids[$i]}" 2>/dev/null || kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
  done
  for pid in "${pids[@]}"; do
    for ((i = 0; i < 25; i++)); do pgrp_alive "$pid" || break; sleep 0.2; done
  done
  echo "  stopped ${names[*]}" >&2
}
# pgrp_alive PGID: any process left in that group (workers outlive a killed parent otherwise)
# (zombies do not count: they are only waiting for their parent to reap them)
pgrp_alive() { ps -o stat= -g "$1" 2>/dev/null | grep -qv '^Z'; }

# http_ok URL: the API answers (any status below 500 counts: 401/300 mean it is serving).
http_ok() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" 2>/dev/null) || return 1
  [ "$code" -ge 200 ] 2>/dev/null && [ "$code" -lt 500 ]
}

# wait_http NAME TIMEOUT: until NAME's API answers; dies with the log's tail if its process died.
wait_http() {
  local name=$1 timeout=${2:-180} t0 pid
  svc_def "$name"; [ -n "$SVC_URL" ] || return 0
  t0=$SECONDS
  until http_ok "$SVC_URL"; do
    pid=$(svc_pid "$name") || osdie "$name exited during start-up: see $OS_LOGS/$name.out and $OS_LOGS/$name.log
$(tail -n 5 "$OS_LOGS/$name.out" 2>/dev/null)"
    [ $((SECONDS - t0)) -lt "$timeout" ] || osdie "$name (pid $pid) does not answer $SVC_URL after ${timeout}s: see $OS_LOGS/$name.*"
    sleep 0.5
  done
}

mysql_ok() { mysqladmin --defaults-file="$OS_ETC/my.cnf" --connect-timeout=2 ping >/dev/null 2>&1; }
rabbit_ok() { timeout 2 bash -c "exec 3<>/dev/tcp/$C/$P_RABBIT" 2>/dev/null; }

wait_until() { # wait_until TIMEOUT WHAT CMD...
  local timeout=$1 what=$2 t0=$SECONDS; shift 2
  until "$@"; do
    [ $((SECONDS - t0)) -lt "$timeout" ] || osdie "$what not ready after ${timeout}s"
    sleep 0.3
  done
}
