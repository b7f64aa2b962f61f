# SSH material: one client key for root (the real machine and every host use it), one ed25519 host
# key per host made in the root namespace, and the known_hosts/config that tie names to addresses.

SSH_DIR=$LAB_DIR/ssh

ssh_client_key() {
  mkdir -p "$SSH_DIR"
  chmod 0700 "$SSH_DIR"
  [ -f "$SSH_DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C livemig-lab -f "$SSH_DIR/id_ed25519"
  chmod 0600 "$SSH_DIR/id_ed25519"
}

# ssh_host_key NAME: the host's key pair, kept with its state (a re-created host gets a new one).
ssh_host_key() {
  local dir
  dir="$(host_state "$1")/ssh"
  mkdir -p "$dir"
  [ -f "$dir/ssh_host_ed25519_key" ] \
    || ssh-keygen -q -t ed25519 -N '' -C "root@$1" -f "$dir/ssh_host_ed25519_key" \
    || die "$1: generating the ssh host key failed"
}

# ssh_known_hosts: one line per host, valid for its name and its address.
ssh_known_hosts() {
  local name key
  for name in $(lab_hosts); do
    key="$(host_state "$name")/ssh/ssh_host_ed25519_key.pub"
    [ -f "$key" ] || continue
    printf '%s,%s %s\n' "$name" "$(host_addr "$name")" "$(cut -d' ' -f1,2 "$key")"
  done
}

ssh_write_client_files() {
  local name
  ssh_known_hosts >"$SSH_DIR/known_hosts"
  {
    echo "# livemig lab hosts: ssh -F $SSH_DIR/config <name>"
    for name in $(lab_hosts); do
      printf 'Host %s\n  HostName %s\n  User root\n  IdentityFile %s\n  IdentitiesOnly yes\n  UserKnownHostsFile %s\n  StrictHostKeyChecking yes\n  BatchMode yes\n  ConnectTimeout 5\n' \
        "$name" "$(host_addr "$name")" "$SSH_DIR/id_ed25519" "$SSH_DIR/known_hosts"
    done
  } >"$SSH_DIR/config"
}

lab_ssh() { ssh -n -F "$SSH_DIR/config" "$@"; }

# ssh_banner ADDR: true when an sshd greets on ADDR:22 within a second.
ssh_banner() {
  local greeting
  # shellcheck disable=SC2016 # expanded by the inner bash
  greeting=$(timeout 1 bash -c 'exec 3<>"/dev/tcp/$0/22" && head -c 4 <&3' "$1" 2>/dev/null) || return 1
  [ "$greeting" = SSH- ]
}
