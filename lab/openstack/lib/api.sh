# Talking to the APIs with curl: admin token from Keystone, JSON in and out.
# Tokens and passwords travel in files/stdin (0600), never on a command line.
# shellcheck shell=bash

OS_TOKEN_HDR=$OS_RUN/admin-token.hdr

# admin_token: a fresh project-scoped admin token into $OS_TOKEN_HDR (as an X-Auth-Token header line).
# Each controlplane run gets its own (a file left by an earlier run may have expired).
admin_token() {
  admin_token_try || osdie "keystone: cannot get an admin token from http://$C:$P_KEYSTONE/v3 (is keystone up? see $OS_LOGS/keystone.log)"
}
admin_token_try() {
  local body hdr
  mkdir -p "$OS_RUN"
  hdr=$(mktemp "$OS_RUN/.tok.XXXXXX")
  # The password reaches jq through its environment, never its command line (ps shows those).
  body=$(LAB_PW=$(secret ADMIN_PASS) jq -n '{auth: {identity: {methods: ["password"], password: {user:
    {name: "admin", domain: {name: "Default"}, password: env.LAB_PW}}}, scope: {project: {name: "admin",
    domain: {name: "Default"}}}}}')
  if ! printf '%s' "$body" | curl -s -f --max-time 30 -D "$hdr" -o /dev/null -H 'Content-Type: application/json' \
       --data-binary @- "http://$C:$P_KEYSTONE/v3/auth/tokens"; then
    rm -f "$hdr"; return 1
  fi
  # Into a file of its own, then renamed: another controlplane run (a BMC starting a fake compute while a
  # test does too) may be reading or writing the shared header file at the same moment.
  local tok; tok=$(mktemp "$OS_RUN/.tok.XXXXXX")
  tr -d '\r' < "$hdr" | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: /X-Auth-Token: /p' > "$tok"
  rm -f "$hdr"
  [ -s "$tok" ] || { rm -f "$tok"; return 1; }
  mv -f "$tok" "$OS_TOKEN_HDR"
  OS_TOKEN_OK=1
}

# api METHOD URL [JSON] [extra curl args...]: prints the body; dies naming the call on HTTP >= 400.
# Set API_ALLOW=404 (etc.) to accept a status; the status is left in API_STATUS.
api() {
  local method=$1 url=$2 data=${3:-} out; shift 3 2>/dev/null || shift $#
  [ "${OS_TOKEN_OK:-}" = 1 ] || admin_token
  out=$(mktemp "$OS_RUN/.api.XXXXXX")
  local args=(-sS --max-time 120 -o "$out" -w '%{http_code}' -X "$method" -H @"$OS_TOKEN_HDR"
    -H 'Accept: application/json' "$@")
  [ -z "$data" ] || args+=(-H 'Content-Type: application/json' --data-binary @-)
  # The body goes through stdin: it may hold a password.
  if [ -n "$data" ]; then
    API_STATUS=$(printf '%s' "$data" | curl "${args[@]}" "$url")
  else
    API_STATUS=$(curl "${args[@]}" "$url")   # stdin stays the caller's (image upload)
  fi || { rm -f "$out"; osdie "$method $url: no answer"; }
  if [ "$API_STATUS" -ge 400 ] && [[ ",${API_ALLOW:-}," != *",$API_STATUS,"* ]]; then
    local msg; msg=$(head -c 600 "$out"); rm -f "$out"
    osdie "$method $url → HTTP $API_STATUS: $msg"
  fi
  cat "$out"; rm -f "$out"
}

KS=http://$C:$P_KEYSTONE/v3
NOVA=http://$C:$P_NOVA/v2.1
CINDER_BASE=http://$C:$P_CINDER/v3
nova() { api "$1" "$NOVA$2" "${3:-}" -H "OpenStack-API-Version: compute ${NOVA_MV:-latest}"; }
