# Sourced text: prepended to every host script by lib/hostscripts/prelude.ts. Not run on its own.
set -euo pipefail
# `printf … | put_file …` must record its change here, not in a subshell that forgets it.
shopt -s lastpipe
umask 022
export LC_ALL=C
trap 'rc=$?; echo "$(hostname): step \"$LIVEMIG_STEP\" failed at line $LINENO: $BASH_COMMAND (exit $rc)" >&2; exit $rc' ERR
CHANGED=()
changed() { CHANGED+=("$1"); }
was_changed() { local c; for c in "${CHANGED[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }

# ini_get FILE SECTION KEY: the active value of KEY in [SECTION] ("" = before any section), quotes kept.
ini_get() {
  [ -f "$1" ] || return 0
  S="$2" K="$3" awk '
    BEGIN { insec = (ENVIRON["S"] == "") }
    /^[ \t]*\[[^]]*\][ \t]*$/ { s = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", s); insec = (s == ENVIRON["S"]); next }
    insec && match($0, "^[ \t]*" ENVIRON["K"] "[ \t]*=") { v = substr($0, RLENGTH + 1); gsub(/^[ \t]+|[ \t]+$/, "", v); val = v }
    END { if (val != "") print val }' "$1"
}

# ini_set FILE SECTION KEY VALUE: make KEY = VALUE the one active line in [SECTION]; comments and every
# other line stay as they are. Marks FILE changed when it had to edit.
ini_set() {
  local file=$1 cur
  cur=$(ini_get "$file" "$2" "$3")
  [ "$cur" = "$4" ] && [ "$(ini_count "$file" "$2" "$3")" = 1 ] && return 0
  [ -f "$file" ] || install -m 0644 /dev/null "$file"
  S="$2" K="$3" V="$4" awk '
    # Blank lines at the end of a section are held back, so a new key goes right after its last line.
    function emit() { if (!done) { print ENVIRON["K"] " = " ENVIRON["V"]; done = 1 } }
    function flush() { for (; blanks > 0; blanks--) print "" }
    BEGIN { insec = (ENVIRON["S"] == ""); seen = 0; blanks = 0 }
    /^[ \t]*$/ { blanks++; next }
    /^[ \t]*\[[^]]*\][ \t]*$/ {
      if (insec) emit()
      flush()
      s = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", s); insec = (s == ENVIRON["S"]); if (insec) seen = 1
      print; next }
    insec && match($0, "^[ \t]*" ENVIRON["K"] "[ \t]*=") { flush(); emit(); next }
    { flush(); print }
    END {
      if (!done && ENVIRON["S"] != "" && !seen) { flush(); print ""; print "[" ENVIRON["S"] "]" }
      emit(); flush() }' "$file" > "$file.livemig-tmp"
  cat "$file.livemig-tmp" > "$file" && rm -f "$file.livemig-tmp"
  changed "$file"
}

ini_count() {
  [ -f "$1" ] || { echo 0; return; }
  S="$2" K="$3" awk '
    BEGIN { insec = (ENVIRON["S"] == ""); n = 0 }
    /^[ \t]*\[[^]]*\][ \t]*$/ { s = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", s); insec = (s == ENVIRON["S"]); next }
    insec && match($0, "^[ \t]*" ENVIRON["K"] "[ \t]*=") { n++ }
    END { print n }' "$1"
}

# ini_unset FILE SECTION KEY: remove every active KEY line in [SECTION].
ini_unset() {
  [ "$(ini_count "$1" "$2" "$3")" = 0 ] && return 0
  S="$2" K="$3" awk '
    BEGIN { insec = (ENVIRON["S"] == "") }
    /^[ \t]*\[[^]]*\][ \t]*$/ { s = $0; gsub(/^[ \t]*\[|\][ \t]*$/, "", s); insec = (s == ENVIRON["S"]); print; next }
    insec && match($0, "^[ \t]*" ENVIRON["K"] "[ \t]*=") { next }
    { print }' "$1" > "$1.livemig-tmp"
  cat "$1.livemig-tmp" > "$1" && rm -f "$1.livemig-tmp"
  changed "$1"
}

# ini_check FILE SECTION KEY VALUE: prints a DRIFT line when the active value differs.
ini_check() {
  local cur n
  cur=$(ini_get "$1" "$2" "$3"); n=$(ini_count "$1" "$2" "$3")
  if [ "$n" = 0 ]; then echo "DRIFT $1: ${2:+[$2] }$3 is not set (want $4)";
  elif [ "$cur" != "$4" ] || [ "$n" != 1 ]; then echo "DRIFT $1: ${2:+[$2] }$3 = $cur (want $4)"; fi
}

# put_file PATH MODE OWNER:GROUP < content: replace PATH only when its content, mode or owner differ.
put_file() {
  local path=$1 mode=$2 owner=$3 tmp
  tmp=$(mktemp "$(dirname "$path")/.livemig.XXXXXX")
  cat > "$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path" && [ "$(stat -c '%a %U:%G' "$path")" = "$mode $owner" ]; then
    rm -f "$tmp"; return 0
  fi
  chmod "$mode" "$tmp"; chown "$owner" "$tmp"; mv -f "$tmp" "$path"
  changed "$path"
}

# file_check PATH MODE OWNER:GROUP SHA256
file_check() {
  if [ ! -f "$1" ]; then echo "DRIFT $1 is missing"; return; fi
  [ "$(sha256sum < "$1" | cut -d' ' -f1)" = "$4" ] || echo "DRIFT $1 has other content"
  [ "$(stat -c '%a %U:%G' "$1")" = "$2 $3" ] || echo "DRIFT $1 has mode/owner $(stat -c '%a %U:%G' "$1") (want $2 $3)"
}

# read_secret VAR: read one length-prefixed secret ("<bytes>\n<bytes of data>") from stdin into VAR.
read_secret() {
  local n
  IFS= read -r n
  printf -v "$1" '%s' "$(head -c "$n")"
}

# wait_for SECONDS CMD [ARG...]: runs CMD every second until it succeeds (0), or SECONDS of wall time have
# passed (1). Bounded by time, not by tries: one try can itself block (a gluster query on a dead peer).
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

unit_check_active() { systemctl is-active --quiet "$1" || echo "DRIFT $1 is $(systemctl is-active "$1" 2>/dev/null || true) (want active)"; }
# enable_units UNIT...: enables the units that are not enabled yet. `systemctl enable` reloads systemd even
# when the unit is enabled already (~4 s on the lab's busy hosts), and converge scripts run it every time.
# (The units this project writes keep their [Install] section, so an enabled one needs nothing more.)
enable_units() { local u; for u in "$@"; do [ "$(systemctl is-enabled "$u" 2>/dev/null)" = enabled ] || systemctl enable --quiet "$u"; done; }
unit_check_enabled() { systemctl is-enabled --quiet "$1" 2>/dev/null || echo "DRIFT $1 is $(systemctl is-enabled "$1" 2>/dev/null || echo disabled) (want enabled)"; }
