# From an empty state to a working control plane: databases, rabbit, schemas, keystone, catalog,
# daemons, computes, flavors, image, application credential, clouds.yaml.
# shellcheck shell=bash

OS_BOOTSTRAPPED=$OS_STATE/.bootstrapped
# What a bootstrapped state holds; a state of another format is started over (2: with Masakari;
# 3: the scheduler keeps real and fake computes apart; 4: Ceph, and Cinder's RBD backend).
OS_FORMAT=4

start_infra() {
  mkdir -p "$OS_RUN/mysqld" "$OS_RUN/mysql" "$OS_LOGS/mariadb" "$OS_RUN/rabbitmq" "$OS_LOGS/rabbitmq"
  chown mysql:mysql "$OS_RUN/mysqld" "$OS_RUN/mysql" "$OS_LOGS/mariadb"
  echo '[].' > "$OS_RUN/rabbitmq/enabled_plugins"   # no management plugin: saves memory and a port
  svc_start epmd
  svc_start rabbitmq
  if [ ! -d "$OS_RUN/mysql/mysql" ]; then
    mariadb-install-db --defaults-file="$OS_ETC/my.cnf" --auth-root-authentication-method=socket \
      --skip-test-db >"$OS_LOGS/mariadb/install-db.log" 2>&1 ||
      osdie "mariadb: mariadb-install-db failed (see $OS_LOGS/mariadb/install-db.log)"
  fi
  svc_start mariadb
  wait_until 60 "mariadb (see $OS_LOGS/mariadb/mariadb.log)" mysql_ok
  # rabbitmq (~10 s to boot) is awaited only before the first daemon needs it: schemas do not.
}
wait_rabbit() { wait_until 120 "rabbitmq on $C:$P_RABBIT (see $OS_LOGS/rabbitmq.out and $OS_LOGS/rabbitmq/)" rabbit_ok; }

create_databases() {
  local sql="" db user sec host
  local net="$LAB_SUBNET_PREFIX.%"
  # db user secret
  while read -r db user sec; do
    sql+="CREATE DATABASE IF NOT EXISTS \`$db\`;"
    for host in localhost "$net"; do
      sql+="CREATE USER IF NOT EXISTS '$user'@'$host' IDENTIFIED BY '$(secret "$sec")';"
      sql+="GRANT ALL PRIVILEGES ON \`$db\`.* TO '$user'@'$host';"
    done
  done <<LIST
keystone keystone KEYSTONE_DB
glance glance GLANCE_DB
placement placement PLACEMENT_DB
nova_api nova NOVA_DB
nova nova NOVA_DB
nova_cell0 nova NOVA_DB
neutron neutron NEUTRON_DB
cinder cinder CINDER_DB
masakari masakari MASAKARI_DB
LIST
  # Through stdin: the statements hold passwords.
  printf '%s FLUSH PRIVILEGES;\n' "$sql" | mysql --defaults-file="$OS_ETC/my.cnf" ||
    osdie "mariadb: creating databases/users failed (is mariadbd up? see $OS_LOGS/mariadb/mariadb.log)"
}

# ---- schemas ----
# Every db sync from scratch takes ~70 s here (nova's four alembic runs dominate). The synced schemas
# hold no secret, so after the first cold run they are dumped into $LAB_CACHE, keyed by the package
# versions, and later bring-ups load them in seconds. Keystone's bootstrap data and nova's cell
# mappings (which hold passwords) are never cached: they are created fresh every time.
SCHEMA_FORMAT=1
schema_cache_dir() {
  local key
  key=$( { echo "$SCHEMA_FORMAT"; dpkg-query -W python3-keystone python3-nova python3-neutron python3-glance \
    python3-cinder python3-placement python3-masakari mariadb-server 2>/dev/null; } | sha256sum | cut -c1-16)
  printf '%s/openstack-schemas/%s' "$LAB_CACHE" "$key"
}
my() { mysql --defaults-file="$OS_ETC/my.cnf" "$@"; }
# schema DB CMD...: load DB from the cache, or run CMD and dump DB into the new cache ($SCHEMA_NEW).
schema() {
  local db=$1; shift
  if [ -n "$SCHEMA_HIT" ]; then
    my "$db" < "$SCHEMA_HIT/$db.sql" || { echo "loading cached schema $db failed" >&2; return 1; }
  else
    "$@" || return 1
    mariadb-dump --defaults-file="$OS_ETC/my.cnf" --skip-comments --skip-dump-date "$db" > "$SCHEMA_NEW/$db.sql"
  fi
}

sync_keystone() {
  local k=(keystone-manage --config-file "$OS_ETC/keystone.conf")
  mkdir -p "$OS_RUN/keystone"
  # What fernet_setup/credential_setup write (key 0 staged, key 1 primary: 32 random bytes, urlsafe
  # base64), without two more keystone-manage start-ups (~4 s each here).
  local repo i
  for repo in fernet-keys credential-keys; do
    ( umask 077; mkdir -p "$OS_RUN/keystone/$repo"
      for i in 0 1; do head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' > "$OS_RUN/keystone/$repo/$i"; done )
  done
  schema keystone "${k[@]}" db_sync &&
  OS_BOOTSTRAP_PASSWORD=$(secret ADMIN_PASS) "${k[@]}" bootstrap \
    --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
    --bootstrap-service-name keystone --bootstrap-region-id "$OS_REGION" \
    --bootstrap-admin-url "http://$C:$P_KEYSTONE/v3" --bootstrap-internal-url "http://$C:$P_KEYSTONE/v3" \
    --bootstrap-public-url "http://$C:$P_KEYSTONE/v3"
}
sync_nova() {
  local n=(nova-manage --config-file "$OS_ETC/nova.conf")
  schema nova_api "${n[@]}" api_db sync || return 1
  # What `cell_v2 map_cell0` and `cell_v2 create_cell --name cell1` write (two rows), without two more
  # nova-manage start-ups: cell0 gets no message queue, cell1 is the nova DB with the lab's rabbit.
  my nova_api <<SQL || return 1
INSERT INTO cell_mappings (created_at, uuid, name, transport_url, database_connection, disabled) VALUES
 (UTC_TIMESTAMP(), '00000000-0000-0000-0000-000000000000', 'cell0', 'none:///', '$(db_url nova NOVA_DB nova_cell0)', 0),
 (UTC_TIMESTAMP(), UUID(), 'cell1', '$(rabbit_url)', '$(db_url nova NOVA_DB nova)', 0);
SQL
  if [ -n "$SCHEMA_HIT" ]; then
    schema nova true && schema nova_cell0 true
  else
    "${n[@]}" db sync &&  # syncs cell1 and cell0
    schema nova true && schema nova_cell0 true
  fi
}
sync_glance() { schema glance glance-manage --config-file "$OS_ETC/glance-api.conf" db_sync; }
sync_placement() { schema placement placement-manage --config-file "$OS_ETC/placement.conf" db sync; }
sync_neutron() { schema neutron neutron-db-manage --config-file "$OS_ETC/neutron.conf" upgrade heads; }
sync_cinder() { schema cinder cinder-manage --config-file "$OS_ETC/cinder.conf" db sync; }

sync_schemas() {
  local s pids=() names=() i t0=$SECONDS rc=0 cache
  cache=$(schema_cache_dir)
  SCHEMA_HIT='' SCHEMA_NEW=''
  if [ -f "$cache/.complete" ]; then SCHEMA_HIT=$cache
  else SCHEMA_NEW=$cache.tmp.$$; mkdir -p "$SCHEMA_NEW"; fi
  for s in keystone nova neutron glance placement cinder masakari; do
    "sync_$s" >"$OS_LOGS/dbsync-$s.log" 2>&1 &
    pids+=($!); names+=("$s")
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      echo "  ${names[$i]}: schema/bootstrap step failed; last lines of $OS_LOGS/dbsync-${names[$i]}.log:" >&2
      tail -n 8 "$OS_LOGS/dbsync-${names[$i]}.log" >&2; rc=1
    fi
  done
  if [ "$rc" != 0 ]; then
    [ -z "$SCHEMA_NEW" ] || rm -rf "$SCHEMA_NEW"
    osdie "db sync failed (see above); fix, then 'controlplane down' and 'up' again${SCHEMA_HIT:+ (if the cache $SCHEMA_HIT is at fault, delete it)}"
  fi
  if [ -n "$SCHEMA_NEW" ]; then
    # Only a complete set becomes the cache; older package versions' sets go.
    touch "$SCHEMA_NEW/.complete"
    find "$(dirname "$cache")" -mindepth 1 -maxdepth 1 ! -name "$(basename "$SCHEMA_NEW")" -exec rm -rf {} +
    mv "$SCHEMA_NEW" "$cache"
    oslog "schemas synced in $((SECONDS - t0)) s (cached in $cache for the next bring-up)"
  else
    oslog "schemas loaded from cache in $((SECONDS - t0)) s ($cache)"
  fi
}

# Keystone objects, straight through the REST API (one openstackclient call costs ~2 s of CPU).
ks_id() { # ks_id COLLECTION NAME: id of the named object
  api GET "$KS/$1?name=$2" | jq -r --arg c "$1" '.[$c][0].id // empty'
}
create_catalog() {
  local svc_proj admin_role service_role s name type port path pids=() p
  admin_token
  svc_proj=$(api POST "$KS/projects" '{"project":{"name":"service","domain_id":"default","description":"OpenStack services"}}' | jq -r .project.id)
  admin_role=$(ks_id roles admin)
  # Keystone 22 does not create it; cinder needs it on nova's service token (evacuate with volumes).
  service_role=$(api POST "$KS/roles" '{"role":{"name":"service"}}' | jq -r .role.id)
  # Users and services are independent: one background job each (keystone serves 4 threads).
  for s in glance placement nova neutron cinder masakari; do
    catalog_user "$s" "$svc_proj" "$admin_role" "$service_role" & pids+=($!)
  done
  while read -r name type port path; do
    catalog_service "$name" "$type" "http://$C:$port$path" & pids+=($!)
  done <<LIST
glance image $P_GLANCE
placement placement $P_PLACEMENT
nova compute $P_NOVA /v2.1
neutron network $P_NEUTRON
cinderv3 volumev3 $P_CINDER /v3/%(project_id)s
masakari instance-ha $P_MASAKARI /v1
LIST
  for p in "${pids[@]}"; do wait "$p" || osdie "keystone: creating the catalog failed (see above)"; done
}
catalog_user() { # NAME PROJECT ROLE...: a service user with its roles on the service project
  local uid r
  uid=$(api POST "$KS/users" "$(LAB_PW=$(secret "${1^^}_PASS") jq -n --arg n "$1" \
    '{user:{name:$n, domain_id:"default", password:env.LAB_PW, enabled:true}}')" | jq -r .user.id)
  for r in "${@:3}"; do api PUT "$KS/projects/$2/users/$uid/roles/$r" >/dev/null; done
}
catalog_service() { # NAME TYPE URL: a service and its public/internal/admin endpoints
  local sid iface
  sid=$(api POST "$KS/services" "$(jq -n --arg n "$1" --arg t "$2" '{service:{name:$n, type:$t, enabled:true}}')" | jq -r .service.id)
  for iface in public internal admin; do
    api POST "$KS/endpoints" "$(jq -n --arg s "$sid" --arg i "$iface" --arg u "$3" --arg r "$OS_REGION" \
      '{endpoint:{service_id:$s, interface:$i, url:$u, region_id:$r, enabled:true}}')" >/dev/null
  done
}

warm_neutron() {
  [ "${OS_TOKEN_OK:-}" = 1 ] || admin_token
  # The first request after start initialises the plugin; do it here, not inside nova's first call.
  api GET "http://$C:$P_NEUTRON/v2.0/networks" >/dev/null
}

# wait_computes TIMEOUT [NAME...]: until each compute's service reports up (fresh heartbeat).
wait_computes() {
  local timeout=$1 t0=$SECONDS c state; shift
  [ "${OS_TOKEN_OK:-}" = 1 ] || admin_token
  local want=("$@"); [ "${#want[@]}" -gt 0 ] || mapfile -t want < <(os_computes)
  while :; do
    state=$(NOVA_MV=2.53 nova GET '/os-services?binary=nova-compute' | jq -r '.services[] | "\(.host) \(.state)"')
    local missing=()
    for c in "${want[@]}"; do grep -qx "$c up" <<<"$state" || missing+=("$c"); done
    [ "${#missing[@]}" -gt 0 ] || return 0
    [ $((SECONDS - t0)) -lt "$timeout" ] ||
      osdie "nova-compute ${missing[*]} not up after ${timeout}s: see $OS_LOGS/nova-compute@${missing[0]}.log"
    sleep 1
  done
}

# wait_cinder_pools TIMEOUT: until cinder-scheduler knows a backend. cinder-volume reports its pools only
# periodically; a volume created before that fails with "Filtering removed all hosts".
wait_cinder_pools() {
  local timeout=$1 t0=$SECONDS proj
  [ "${OS_TOKEN_OK:-}" = 1 ] || admin_token
  proj=$(ks_id projects admin)
  until [ "$(api GET "$CINDER_BASE/$proj/scheduler-stats/get_pools" | jq '.pools | length')" -gt 0 ]; do
    [ $((SECONDS - t0)) -lt "$timeout" ] ||
      osdie "cinder-scheduler knows no volume backend after ${timeout}s: see $OS_LOGS/cinder-volume.log"
    sleep 1
  done
}

create_flavors_image() {
  local f id
  for f in '{"flavor":{"name":"m1.tiny","ram":128,"vcpus":1,"disk":1,"id":"1"}}' \
           '{"flavor":{"name":"m1.small","ram":256,"vcpus":1,"disk":2,"id":"2"}}'; do
    API_ALLOW=409 nova POST /flavors "$f" >/dev/null   # public by default
  done
  id=$(api POST "http://$C:$P_GLANCE/v2/images" \
    '{"name":"cirros-like-raw","disk_format":"raw","container_format":"bare","visibility":"public","min_disk":0,"min_ram":0}' |
    jq -r .id)
  # 1 MiB of zeros: the fake driver never reads it; a raw image keeps nova's format inspection happy.
  head -c 1048576 /dev/zero | api PUT "http://$C:$P_GLANCE/v2/images/$id/file" "" \
    -H 'Content-Type: application/octet-stream' --data-binary @- >/dev/null
}

create_appcred_and_clouds() {
  local uid cred
  uid=$(ks_id users admin)
  cred=$(api POST "$KS/users/$uid/application_credentials" \
    '{"application_credential":{"name":"livemig-lab","description":"livemig lab admin (controlplane up)"}}')
  ( umask 077
    { echo "APPCRED_ID=$(jq -r .application_credential.id <<<"$cred")"
      echo "APPCRED_SECRET=$(jq -r .application_credential.secret <<<"$cred")"; } >> "$OS_SECRETS" )
  write_clouds_yaml
}

write_clouds_yaml() {
  mkdir -p "$(dirname "$OS_CLOUDS")"
  ( umask 077
    cat > "$OS_CLOUDS.tmp" <<YAML
# Written by lab/openstack/controlplane up (livemig lab); removed by 'controlplane down'.
clouds:
  $OS_CLOUD:
    auth_type: password
    auth:
      auth_url: http://$C:$P_KEYSTONE/v3
      username: admin
      password: "$(secret ADMIN_PASS)"
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: $OS_REGION
    interface: public
    identity_api_version: 3
  $OS_CLOUD-appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: http://$C:$P_KEYSTONE/v3
      application_credential_id: "$(secret APPCRED_ID)"
      application_credential_secret: "$(secret APPCRED_SECRET)"
    region_name: $OS_REGION
    interface: public
    identity_api_version: 3
YAML
  ) && mv -f "$OS_CLOUDS.tmp" "$OS_CLOUDS" && chmod 0600 "$OS_CLOUDS"
}

# os_bootstrap: the whole cold path. Assumes an empty $OS_STATE (bar the marker).
os_bootstrap() {
  local t0=$SECONDS ts
  mkdir -p "$OS_ETC" "$OS_LOGS" "$OS_PIDS" "$OS_RUN"
  ensure_secrets
  write_configs
  oslog "starting mariadb and rabbitmq"
  start_infra
  # Ceph (mon, mgr, one OSD; ~20 s) in the background while the schemas sync: cinder-volume needs it.
  oslog "bootstrapping Ceph in the background (log: $OS_LOGS/ceph-bootstrap.log)"
  ceph_bootstrap >"$OS_LOGS/ceph-bootstrap.log" 2>&1 & local ceph_pid=$!
  create_databases
  oslog "syncing schemas (keystone, nova, neutron, glance, placement, cinder, masakari in parallel)"
  sync_schemas
  wait_rabbit
  oslog "starting keystone, creating the catalog (placement, glance, neutron start meanwhile: they need none)"
  local s
  svc_start keystone
  wait_http keystone 120
  for s in placement glance-api neutron-server; do svc_start "$s"; done
  ts=$SECONDS; create_catalog; oslog "catalog created in $((SECONDS - ts)) s"
  wait "$ceph_pid" || osdie "ceph: bootstrap failed (see $OS_LOGS/ceph-bootstrap.log)"
  oslog "starting nova, cinder and the computes"
  for s in nova-api cinder-api masakari-api "${OS_WORKERS[@]}"; do svc_start "$s"; done
  # A compute reports its resources to placement at start and then only every 60 s: let placement
  # answer first.
  wait_http placement 240
  for s in $(os_computes); do svc_start "nova-compute@$s"; done
  for s in glance-api neutron-server nova-api cinder-api masakari-api; do wait_http "$s" 240; done
  warm_neutron
  oslog "APIs answer; waiting for the computes"
  wait_computes 240
  # Map the registered computes into cell1 now (the scheduler would only do it within 30 s); the
  # nova-manage start-up overlaps with the flavor/image/credential calls.
  nova-manage --config-file "$OS_ETC/nova.conf" cell_v2 discover_hosts --verbose \
    >"$OS_LOGS/discover-hosts.log" 2>&1 & local disc=$!
  create_flavors_image
  create_appcred_and_clouds
  wait "$disc" || osdie "nova: cell_v2 discover_hosts failed (see $OS_LOGS/discover-hosts.log)"
  create_fake_zone
  wait_cinder_pools 180
  { echo "at=$(date -u +%FT%TZ)"; echo "format=$OS_FORMAT"; echo "computes=$(os_computes | tr '\n' ' ')"; } > "$OS_BOOTSTRAPPED"
  oslog "cold bring-up took $((SECONDS - t0)) s"
}

# The fake computes form their own availability zone "fake": servers booted there stay there when the
# scheduler moves them, so fake-driver tests never land on the real (libvirt) computes, and the reverse.
create_fake_zone() {
  local agg h
  agg=$(API_ALLOW=409 nova POST /os-aggregates '{"aggregate":{"name":"fake-computes","availability_zone":"fake"}}' | jq -r '.aggregate.id // empty')
  [ -n "$agg" ] || agg=$(nova GET /os-aggregates | jq -r '.aggregates[] | select(.name == "fake-computes") | .id')
  for h in $(os_computes); do
    API_ALLOW=409 nova POST "/os-aggregates/$agg/action" "{\"add_host\":{\"host\":\"$h\"}}" >/dev/null
  done
}

# wait_compute_fresh NAME TIMEOUT: until the compute's service record shows a heartbeat newer than
# now (a restarted compute has checked in). A forced-down service stays 'down'; that is the caller's.
wait_compute_fresh() {
  local name=$1 timeout=$2 since t0=$SECONDS rec
  since=$(date -u +%Y-%m-%dT%H:%M:%S)
  [ "${OS_TOKEN_OK:-}" = 1 ] || admin_token
  while :; do
    rec=$(NOVA_MV=2.53 nova GET "/os-services?binary=nova-compute&host=$name" | jq -r '.services[0] | "\(.updated_at) \(.state) \(.forced_down)"')
    # Second granularity on both sides; strictly later means a heartbeat from after this start.
    if [[ "$(cut -c1-19 <<<"${rec%% *}")" > "$since" ]]; then
      echo "  nova-compute@$name checked in: ${rec#* }" | sed 's/ false$//; s/ true$/ (forced down)/' >&2
      return 0
    fi
    [ $((SECONDS - t0)) -lt "$timeout" ] || osdie "nova-compute@$name has not checked in after ${timeout}s: see $OS_LOGS/nova-compute@$name.log"
    sleep 1
  done
}
