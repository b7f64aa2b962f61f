# Passwords: random, generated once per lab lifetime (until `down`), 0600, never printed.
# shellcheck shell=bash

OS_SECRET_NAMES=(ADMIN_PASS RABBIT_PASS
  KEYSTONE_DB GLANCE_DB PLACEMENT_DB NOVA_DB NEUTRON_DB CINDER_DB MASAKARI_DB
  GLANCE_PASS PLACEMENT_PASS NOVA_PASS NEUTRON_PASS CINDER_PASS MASAKARI_PASS)

ensure_secrets() {
  local n
  ( umask 077
    touch "$OS_SECRETS"
    for n in "${OS_SECRET_NAMES[@]}"; do
      # Alphanumeric only: the values go into URLs (transport_url, DB connections) unescaped.
      grep -q "^$n=" "$OS_SECRETS" ||
        printf '%s=%s\n' "$n" "$(head -c 48 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | head -c 32)" >> "$OS_SECRETS"
    done )
  chmod 0600 "$OS_SECRETS"
}
