# status and down.
# shellcheck shell=bash

# os_status [quiet]: one line per service; non-zero if anything is down.
os_status() {
  local quiet=${1:-} bad=0 s pid line h svcs csvcs
  say() { [ -n "$quiet" ] || printf '%s\n' "$*"; }
  if [ ! -d "$OS_PIDS" ] || [ -z "$(ls -A "$OS_PIDS" 2>/dev/null)" ]; then
    say "openstack control plane: down (nothing started)"; return 3
  fi
  for s in $(os_services); do
    svc_def "$s"
    if ! pid=$(svc_pid "$s"); then say "$(printf '%-26s DOWN (no live process)' "$s")"; bad=1; continue; fi
    line=$(printf '%-26s pid %-7s' "$s" "$pid")
    if [ -n "$SVC_URL" ]; then
      if http_ok "$SVC_URL"; then line+=" http ok ($SVC_URL)"; else line+=" http FAILING ($SVC_URL)"; bad=1; fi
    elif [ "$s" = mariadb ]; then
      if mysql_ok; then line+=" ping ok"; else line+=" ping FAILING"; bad=1; fi
    elif [ "$s" = rabbitmq ]; then
      if rabbit_ok; then line+=" amqp port ok"; else line+=" amqp port FAILING"; bad=1; fi
    fi
    say "$line"
  done
  if line=$(ceph_status_line); then say "$line"; else say "$line"; bad=1; fi
  # Service heartbeats as nova and cinder see them (needs keystone, nova-api and cinder-api).
  if http_ok "http://$C:$P_KEYSTONE/v3" && admin_token_try; then
    if svcs=$(NOVA_MV=2.53 nova GET /os-services 2>/dev/null); then
      while read -r h s st fd; do
        if [ "$s" = nova-compute ]; then
          # Which compute is which: fake ones run here; real ones in their lab host, started by the
          # project's stack, so their state says nothing about the control plane's health.
          if os_computes | grep -qx "$h"; then kind="fake driver, on the controller"; else kind="libvirt/QEMU, in lab host $h"; fi
          say "nova-compute $h ($kind): $st$([ "$fd" = true ] && echo ' (forced down)')"
          if [ "$st" != up ] && os_computes | grep -qx "$h"; then bad=1; fi
        else
          say "$s@$h (os-services): $st"; [ "$st" = up ] || bad=1
        fi
      done < <(jq -r '.services[] | "\(.host) \(.binary) \(.state) \(.forced_down)"' <<<"$svcs")
      for h in $(os_computes); do
        jq -e --arg h "$h" '.services[] | select(.binary == "nova-compute" and .host == $h)' <<<"$svcs" >/dev/null ||
          { say "nova-compute $h: not registered"; bad=1; }
      done
    else say "nova os-services: cannot query"; bad=1; fi
    if csvcs=$(api GET "$CINDER_BASE/os-services" 2>/dev/null); then
      while read -r h s st; do say "$s@$h (os-services): $st"; [ "$st" = up ] || bad=1; done \
        < <(jq -r '.services[] | "\(.host) \(.binary) \(.state)"' <<<"$csvcs")
    else say "cinder os-services: cannot query"; bad=1; fi
  else
    say "keystone: no admin token, service heartbeats unknown"; bad=1
  fi
  return "$bad"
}

# os_down: every daemon by PID (process group), then all runtime state except the package marker.
os_down() {
  local t0=$SECONDS names=() f n pid left
  if [ -d "$OS_PIDS" ]; then
    for f in "$OS_PIDS"/*.pid; do [ -e "$f" ] && n=$(basename "$f" .pid) && names+=("$n"); done
  fi
  local apps=() infra=()
  for n in "${names[@]}"; do
    case "$n" in mariadb|rabbitmq|epmd|ceph-*) ;; *) apps+=("$n") ;; esac
  done
  # OpenStack daemons together (conductor/scheduler/neutron take ~15 s to honour SIGTERM), then the
  # infrastructure they were talking to.
  [ "${#apps[@]}" -eq 0 ] || { oslog "stopping ${#apps[@]} OpenStack daemons"; svc_stop "${apps[@]}"; }
  # Ceph in order (OSDs, mgr, mon): an OSD whose monitor is gone waits 5 s for it.
  [ ! -e "$(pidfile ceph-mon)" ] || { oslog "stopping ceph"; ceph_stop; }
  for n in rabbitmq mariadb; do [ -e "$(pidfile "$n")" ] && infra+=("$n"); done
  [ "${#infra[@]}" -eq 0 ] || { oslog "stopping ${infra[*]}"; svc_stop "${infra[@]}"; }
  [ ! -e "$(pidfile epmd)" ] || svc_stop epmd
  # Stragglers whose pid file was lost: anything still running from our state directory's configs.
  if [ -d "$OS_STATE" ]; then
    left=$(ps -eo pid=,args= | awk -v d="$OS_STATE/" 'index($0, d) && !/awk/ { print $1 }' | grep -vx "$$" || true)
    for pid in $left; do
      oslog "stopping leftover process $pid ($(ps -o args= -p "$pid" | cut -c1-80))"
      kill -TERM "$pid" 2>/dev/null || true
    done
    [ -z "$left" ] || sleep 3
    for pid in $left; do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  # Runtime state goes; the package marker stays so the next `up` skips apt.
  if [ -d "$OS_STATE" ]; then
    find "$OS_STATE" -mindepth 1 -maxdepth 1 ! -name "$(basename "$OS_MARKER")" -exec rm -rf {} +
  fi
  if [ -f "$OS_CLOUDS" ] && grep -q 'controlplane up (livemig lab)' "$OS_CLOUDS"; then rm -f "$OS_CLOUDS"; fi
  oslog "control plane down ($((SECONDS - t0)) s); state removed from $OS_STATE"
}
