// libvirtd as a migration endpoint: TLS certificates, libvirtd.conf, and the listener, either socket
// activated (libvirtd-tls.socket / libvirtd-tcp.socket, Debian 12 under systemd) or a traditional
// `libvirtd --listen`. The script finds out which on the host, and never sets up both.
import { cmd, hostScript } from "./prelude";
import { shq } from "./quote";
import { pemSha256 as sha, type HostStep } from "./step";

export type Transport = "tls" | "tcp-sasl" | "tcp-insecure";

export interface LibvirtListenSpec {
    transport: Transport;
    hostUuidSource: "smbios" | "machine-id";
    /** tls: the certificates (public parts) and the SHA-256 of the key that stdin carries. */
    tls?: { caCertPem: string; certPem: string; keySha256: string };
    /** tcp-sasl: the SASL user; its password comes on stdin. */
    sasl?: { username: string };
}

const LIBVIRTD_CONF = "/etc/libvirt/libvirtd.conf";
const DEFAULTS = "/etc/default/libvirtd";
const SASL_CONF = "/etc/sasl2/libvirt.conf";
const AUTH_CONF = "/etc/libvirt/auth.conf";
const EOF = "LIVEMIG_PEM_EOF";

/** Files that hold certificates and keys: libvirt's own locations, and QEMU's for native TLS. */
export const TLS_FILES = {
    ca: ["/etc/pki/CA/cacert.pem", "/etc/pki/qemu/ca-cert.pem"],
    cert: ["/etc/pki/libvirt/servercert.pem", "/etc/pki/libvirt/clientcert.pem", "/etc/pki/qemu/server-cert.pem", "/etc/pki/qemu/client-cert.pem"],
    libvirtKey: ["/etc/pki/libvirt/private/serverkey.pem", "/etc/pki/libvirt/private/clientkey.pem"],
    // QEMU runs as libvirt-qemu and must read its key.
    qemuKey: ["/etc/pki/qemu/server-key.pem", "/etc/pki/qemu/client-key.pem"],
} as const;

/** libvirtd.conf settings for a transport; strings are quoted as libvirt's config syntax wants. */
export function libvirtdSettings(spec: LibvirtListenSpec): [string, string][] {
    const s: [string, string][] = [];
    switch (spec.transport) {
        case "tls":
            s.push(["auth_tls", '"none"'], ["tls_no_verify_certificate", "0"]);
            break;
        case "tcp-sasl":
            s.push(["auth_tcp", '"sasl"']);
            break;
        case "tcp-insecure":
            s.push(["auth_tcp", '"none"']);
            break;
        default: {
            const never: never = spec.transport;
            throw new Error(`unknown transport ${String(never)}`);
        }
    }
    if (spec.hostUuidSource === "machine-id") s.push(["host_uuid_source", '"machine-id"']);
    return s;
}

function socketNames(transport: Transport): { want: string; other: string; port: number } {
    return transport === "tls"
        ? { want: "libvirtd-tls.socket", other: "libvirtd-tcp.socket", port: 16514 }
        : { want: "libvirtd-tcp.socket", other: "libvirtd-tls.socket", port: 16509 };
}

const DETECT_MODE = `
if [ -d /run/systemd/system ] && systemctl cat libvirtd-tls.socket >/dev/null 2>&1; then mode=socket; else mode=legacy; fi`;

function tlsFiles(tls: NonNullable<LibvirtListenSpec["tls"]>): string {
    const put = (path: string, mode: string, owner: string, pem: string) =>
        `put_file ${cmd(path, mode, owner)} <<'${EOF}'\n${pem.trim()}\n${EOF}`;
    // Here-strings, not pipes: put_file must run in this shell to record the change.
    const putKey = (path: string, mode: string, owner: string) => `put_file ${cmd(path, mode, owner)} <<<"$TLS_KEY"`;
    return [
        "read_secret TLS_KEY",
        "mkdir -p /etc/pki/CA /etc/pki/libvirt/private /etc/pki/qemu",
        ...TLS_FILES.ca.map((f) => put(f, "644", "root:root", tls.caCertPem)),
        ...TLS_FILES.cert.map((f) => put(f, "644", "root:root", tls.certPem)),
        ...TLS_FILES.libvirtKey.map((f) => putKey(f, "600", "root:root")),
        ...TLS_FILES.qemuKey.map((f) => putKey(f, "640", "root:libvirt-qemu")),
    ].join("\n");
}

function saslSetup(username: string): string {
    return `
read_secret SASL_PASSWORD
# Over plain TCP libvirt accepts only SASL mechanisms with a data security layer (SSF > 0): DIGEST-MD5
# here (GSSAPI needs Kerberos). SCRAM has none, and libvirtd then offers "no SASL mechanisms".
put_file ${cmd(SASL_CONF, "644", "root:root")} <<'EOF'
mech_list: digest-md5
sasldb_path: /etc/libvirt/passwd.db
EOF
# The password goes to saslpasswd2 on stdin (-p), never on its command line.
printf '%s' "$SASL_PASSWORD" | saslpasswd2 -p -a libvirt -f /etc/libvirt/passwd.db -c ${shq(username)}
chmod 600 /etc/libvirt/passwd.db
# Outgoing migrations (virsh, nova-compute as user nova) log in with these credentials.
nova_group=$(getent group nova >/dev/null && echo nova || echo root)
put_file ${shq(AUTH_CONF)} 640 "root:$nova_group" < <(printf '[credentials-migration]\\nauthname=%s\\npassword=%s\\n\\n[auth-libvirt-default]\\ncredentials=migration\\n' ${shq(username)} "$SASL_PASSWORD")`;
}

/** libvirtd's local sockets: any client activates the daemon through them. */
const UNIX_SOCKETS = "libvirtd.socket libvirtd-ro.socket libvirtd-admin.socket";

/** Converges libvirtd into a migration endpoint; restarts it only when something changed. */
export function libvirtListen(spec: LibvirtListenSpec): HostStep {
    const { want, other, port } = socketNames(spec.transport);
    const settings = libvirtdSettings(spec);
    const converge = `
${spec.transport === "tls" && spec.tls ? tlsFiles(spec.tls) : ""}
${spec.transport === "tcp-sasl" && spec.sasl ? saslSetup(spec.sasl.username) : ""}
${settings.map(([k, v]) => `ini_set ${cmd(LIBVIRTD_CONF, "", k, v)}`).join("\n")}
${DETECT_MODE}
# systemd refuses to start a socket whose service already runs, and any local client (nova-compute, a
# virsh) re-activates libvirtd through its unix sockets at any moment: those go quiet while the listener
# socket is (re)started. Running guests survive a libvirtd restart.
restart_listener() {
  systemctl stop ${UNIX_SOCKETS} libvirtd.service 2>/dev/null || true
  systemctl reset-failed ${want} libvirtd.service 2>/dev/null || true
  systemctl restart ${want}
  systemctl start ${UNIX_SOCKETS}
  systemctl start libvirtd.service
}
if [ "$mode" = socket ]; then
  # Socket activation: --listen is fatal, listen_tls/listen_tcp are ignored; the socket unit listens.
  if [ -f ${DEFAULTS} ] && grep -Eq '^[[:space:]]*LIBVIRTD_ARGS=.*--listen' ${DEFAULTS}; then
    sed -i -E 's/^([[:space:]]*LIBVIRTD_ARGS=.*)--listen/\\1/' ${DEFAULTS}; changed ${DEFAULTS}
  fi
  if systemctl is-enabled --quiet ${other} 2>/dev/null || systemctl is-active --quiet ${other}; then
    systemctl disable --now --quiet ${other}; changed sockets
  fi
  if ! systemctl is-enabled --quiet ${want} 2>/dev/null; then
    systemctl stop libvirtd.service || true
    systemctl enable --quiet ${want}; changed sockets
  fi
  enable_units libvirtd.service
  if [ \${#CHANGED[@]} -gt 0 ]; then
    restart_listener; echo "restarted libvirtd (changed: \${CHANGED[*]})"
  else
    if ! systemctl is-active --quiet ${want}; then restart_listener; echo "restarted ${want}"; fi
    systemctl is-active --quiet libvirtd.service || systemctl start libvirtd.service
  fi
else
  ini_set ${cmd(LIBVIRTD_CONF, "", "listen_tls", spec.transport === "tls" ? "1" : "0")}
  ini_set ${cmd(LIBVIRTD_CONF, "", "listen_tcp", spec.transport === "tls" ? "0" : "1")}
  ini_set ${cmd(DEFAULTS, "", "LIBVIRTD_ARGS", '"--listen"')}
  if [ -d /run/systemd/system ]; then
    enable_units libvirtd.service
    if [ \${#CHANGED[@]} -gt 0 ]; then systemctl restart libvirtd.service; else systemctl is-active --quiet libvirtd.service || systemctl start libvirtd.service; fi
  else
    # No init system to ask: run the daemons ourselves (virtlogd is what QEMU logs through).
    pgrep -x virtlogd >/dev/null || virtlogd -d
    if [ \${#CHANGED[@]} -gt 0 ] && pgrep -x libvirtd >/dev/null; then pkill -x libvirtd; while pgrep -x libvirtd >/dev/null; do sleep 0.2; done; fi
    pgrep -x libvirtd >/dev/null || libvirtd -d --listen
  fi
fi
# Wait (bounded) until the listener answers.
for _ in $(seq 50); do ss -Hltn "sport = :${port}" | grep -q . && break; sleep 0.2; done
ss -Hltn "sport = :${port}" | grep -q . || { echo "libvirtd does not listen on port ${port}" >&2; exit 1; }
echo "libvirtd: ${spec.transport} on port ${port} ($mode)"
# When libvirtd (re)started: nova-compute loses its connection then, and is not schedulable until it is back.
if [ -d /run/systemd/system ]; then
  echo "libvirtd active since $(date -u -d "$(systemctl show -p ActiveEnterTimestamp --value libvirtd.service)" +%Y-%m-%dT%H:%M:%SZ)"
fi`;

    const check = `
${settings.map(([k, v]) => `ini_check ${cmd(LIBVIRTD_CONF, "", k, v)}`).join("\n")}
${
    spec.transport === "tls" && spec.tls
        ? [
              ...TLS_FILES.ca.map((f) => `file_check ${cmd(f, "644", "root:root", sha(spec.tls!.caCertPem))}`),
              ...TLS_FILES.cert.map((f) => `file_check ${cmd(f, "644", "root:root", sha(spec.tls!.certPem))}`),
              ...TLS_FILES.libvirtKey.map((f) => `file_check ${cmd(f, "600", "root:root", spec.tls!.keySha256)}`),
              ...TLS_FILES.qemuKey.map((f) => `file_check ${cmd(f, "640", "root:libvirt-qemu", spec.tls!.keySha256)}`),
          ].join("\n")
        : ""
}
${DETECT_MODE}
if [ "$mode" = socket ]; then
  unit_check_enabled ${want}
  unit_check_active ${want}
  systemctl is-enabled --quiet ${other} 2>/dev/null && echo "DRIFT ${other} is enabled (only ${want} should listen)"
  [ -f ${DEFAULTS} ] && grep -Eq '^[[:space:]]*LIBVIRTD_ARGS=.*--listen' ${DEFAULTS} && echo "DRIFT ${DEFAULTS} passes --listen, which socket activation forbids"
else
  ini_check ${cmd(DEFAULTS, "", "LIBVIRTD_ARGS", '"--listen"')}
fi
ss -Hltn "sport = :${port}" | grep -q . || echo "DRIFT nothing listens on port ${port}"
true`;
    return {
        create: hostScript(`configure libvirtd for ${spec.transport} migrations`, converge),
        check: hostScript(`check libvirtd`, check),
    };
}
