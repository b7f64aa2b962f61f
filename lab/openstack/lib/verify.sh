# verify (openstackclient, as a user would) and smoke (the migration scenarios, via the REST API).
# shellcheck shell=bash

os_verify() {
  local c t0=$SECONDS
  export OS_CLOUD
  for c in "server list" "compute service list" "hypervisor list" "volume service list" "flavor list" "image list"; do
    echo "\$ openstack --os-cloud $OS_CLOUD $c"
    # shellcheck disable=SC2086
    openstack --os-cloud "$OS_CLOUD" $c || osdie "verify: 'openstack $c' failed"
  done
  echo "\$ openstack --os-cloud $OS_CLOUD-appcred token issue -c project_id"
  openstack --os-cloud "$OS_CLOUD-appcred" token issue -c project_id || osdie "verify: application credential login failed"
  local n; n=$(openstack --os-cloud "$OS_CLOUD" compute service list --service nova-compute -f value -c State | grep -c '^up$' || true)
  [ "$n" -ge "$(os_computes | wc -l)" ] || osdie "verify: only $n nova-compute services up"
  oslog "verify ok ($((SECONDS - t0)) s)"
}

# ---- smoke: what the project's tests will do, end to end ----
server_field() { NOVA_MV=2.80 nova GET "/servers/$1" | jq -r ".server[\"$2\"]"; }
wait_server() { # wait_server ID STATUS [TIMEOUT]
  local id=$1 want=$2 timeout=${3:-120} t0=$SECONDS st
  while :; do
    st=$(server_field "$id" status)
    [ "$st" = "$want" ] && return 0
    [ "$st" != ERROR ] || osdie "smoke: server $id went to ERROR: $(NOVA_MV=2.80 nova GET "/servers/$id" | jq -c .server.fault)"
    [ $((SECONDS - t0)) -lt "$timeout" ] || osdie "smoke: server $id is $st, not $want, after ${timeout}s"
    sleep 0.3
  done
}
wait_migration() { # wait_migration SERVER TYPE STATUS...: until its latest migration of TYPE has one of STATUS
  local id=$1 type=$2 t0=$SECONDS st; shift 2
  while :; do
    st=$(NOVA_MV=2.80 nova GET "/os-migrations?instance_uuid=$id&migration_type=$type" |
      jq -r '.migrations | sort_by(.id) | last | .status // empty')
    local s; for s in "$@"; do [ "$st" = "$s" ] && return 0; done
    if [ "$st" = error ] || [ "$st" = failed ]; then osdie "smoke: $type of $id is $st"; fi
    [ $((SECONDS - t0)) -lt 120 ] || osdie "smoke: $type of $id still '$st' after 120s"
    sleep 0.3
  done
}
ms_since() { echo "$(( $(now_ms) - $1 )) ms"; }

os_smoke() {
  local img proj vol a b c t svc_id host
  admin_token
  img=$(api GET "http://$C:$P_GLANCE/v2/images?name=cirros-like-raw" | jq -r '.images[0].id')
  proj=$(ks_id projects admin)
  local cinder="$CINDER_BASE/$proj"

  echo "1. boot image-backed server pinned to compute-1 (2.74, networks none)"
  t=$(now_ms)
  a=$(NOVA_MV=2.74 nova POST /servers "$(jq -n --arg i "$img" '{server:{name:"smoke-a",imageRef:$i,flavorRef:"1",networks:"none",host:"compute-1"}}')" | jq -r .server.id)
  wait_server "$a" ACTIVE; host=$(server_field "$a" OS-EXT-SRV-ATTR:host)
  echo "   $a ACTIVE on $host in $(ms_since "$t")"; [ "$host" = compute-1 ] || osdie "smoke: smoke-a landed on $host"

  echo "2. live-migrate it to compute-2 (2.30)"
  t=$(now_ms)
  NOVA_MV=2.30 nova POST "/servers/$a/action" '{"os-migrateLive":{"host":"compute-2","block_migration":"auto"}}' >/dev/null
  wait_migration "$a" live-migration completed; wait_server "$a" ACTIVE
  host=$(server_field "$a" OS-EXT-SRV-ATTR:host)
  echo "   migration completed, now on $host, in $(ms_since "$t")"; [ "$host" = compute-2 ] || osdie "smoke: smoke-a on $host after live migration"

  echo "3. bootable volume + boot-from-volume server pinned to compute-1"
  t=$(now_ms)
  vol=$(api POST "$cinder/volumes" '{"volume":{"size":1,"name":"smoke-vol"}}' | jq -r .volume.id)
  local i st
  for ((i = 0; i < 300; i++)); do
    st=$(api GET "$cinder/volumes/$vol" | jq -r .volume.status); [ "$st" = available ] && break
    [ "$st" != error ] || osdie "smoke: volume $vol went to error (see $OS_LOGS/cinder-volume.log)"; sleep 0.2
  done
  api POST "$cinder/volumes/$vol/action" '{"os-set_bootable":{"bootable":true}}' >/dev/null
  b=$(NOVA_MV=2.74 nova POST /servers "$(jq -n --arg v "$vol" '{server:{name:"smoke-bfv",flavorRef:"1",networks:"none",host:"compute-1",
      block_device_mapping_v2:[{boot_index:0,uuid:$v,source_type:"volume",destination_type:"volume",delete_on_termination:false}]}}')" | jq -r .server.id)
  wait_server "$b" ACTIVE
  echo "   volume $vol in-use by $b, ACTIVE on $(server_field "$b" OS-EXT-SRV-ATTR:host) in $(ms_since "$t")"
  c=$(NOVA_MV=2.74 nova POST /servers "$(jq -n --arg i "$img" '{server:{name:"smoke-c",imageRef:$i,flavorRef:"1",networks:"none",host:"compute-1"}}')" | jq -r .server.id)
  wait_server "$c" ACTIVE

  echo "4. host failure: stop nova-compute@compute-1, force it down (2.53), evacuate both servers to compute-3"
  svc_stop nova-compute@compute-1 >/dev/null
  svc_id=$(NOVA_MV=2.53 nova GET '/os-services?binary=nova-compute&host=compute-1' | jq -r '.services[0].id')
  NOVA_MV=2.53 nova PUT "/os-services/$svc_id" '{"forced_down":true}' >/dev/null
  t=$(now_ms)
  for i in "$b" "$c"; do nova POST "/servers/$i/action" '{"evacuate":{"host":"compute-3"}}' >/dev/null; done
  for i in "$b" "$c"; do
    wait_server "$i" ACTIVE; host=$(server_field "$i" OS-EXT-SRV-ATTR:host)
    [ "$host" = compute-3 ] || osdie "smoke: $i on $host after evacuate"
  done
  echo "   both ACTIVE on compute-3 $(ms_since "$t") after the POSTs"

  echo "5. compute-1 returns; un-force once the evacuations are completed"
  t=$(now_ms)
  svc_start nova-compute@compute-1 >/dev/null
  for i in "$b" "$c"; do wait_migration "$i" evacuation completed; done
  NOVA_MV=2.53 nova PUT "/os-services/$svc_id" '{"forced_down":false}' >/dev/null
  wait_computes 120 compute-1
  echo "   compute-1 up and un-forced in $(ms_since "$t")"

  echo "6. cleanup"
  for i in "$a" "$b" "$c"; do nova DELETE "/servers/$i" >/dev/null; done
  for i in "$a" "$b" "$c"; do
    local n; for ((n = 0; n < 300; n++)); do API_ALLOW=404 nova GET "/servers/$i" >/dev/null; [ "$API_STATUS" = 404 ] && break; sleep 0.2; done
  done
  for ((i = 0; i < 300; i++)); do
    st=$(api GET "$cinder/volumes/$vol" | jq -r .volume.status); [ "$st" = available ] && break; sleep 0.2
  done
  api DELETE "$cinder/volumes/$vol" >/dev/null
  oslog "smoke ok"
}
