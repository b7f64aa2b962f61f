// nova-compute itself on a compute host: the libvirt driver, this host's identity, and the control plane's
// connection settings (messaging URL, service credentials), which arrive as a secret on stdin as
// "section<TAB>key<TAB>value" lines and are written into nova.conf in place. Starts nova-compute and
// restarts it only when something changed.
import { cmd, hostScript, oneLine } from "./prelude";
import type { HostStep } from "./step";

export interface NovaComputeSpec {
    configPath: string;
    /** The service's host name (the compute's name in Nova). */
    host: string;
    /** This host's address (my_ip). */
    address: string;
    instancesPath: string;
    /** qemu (software emulation, the lab) or kvm. */
    virtType: "qemu" | "kvm";
    /** none for emulated guests; host-model or a named model on real hardware. */
    cpuMode: "none" | "host-model" | "host-passthrough";
}

/** Settings of this host's own; the control plane's come from stdin. */
export function novaComputeSettings(spec: NovaComputeSpec): [string, string, string][] {
    const settings: [string, string, string][] = [
        ["DEFAULT", "host", spec.host],
        ["DEFAULT", "my_ip", spec.address],
        ["DEFAULT", "compute_driver", "libvirt.LibvirtDriver"],
        ["DEFAULT", "instances_path", spec.instancesPath],
        ["libvirt", "virt_type", spec.virtType],
        ["libvirt", "cpu_mode", spec.cpuMode],
        // No graphical console: it costs CPU under emulation, and migrations need no VNC listener.
        ["vnc", "enabled", "false"],
    ];
    // Each becomes a line of nova.conf: a line break would add settings of its own.
    return settings.map(([sec, k, v]) => [sec, k, oneLine(`nova.conf [${sec}] ${k}`, v)]);
}

/** The control plane's settings as the script reads them from stdin. */
export function controllerSettingsText(settings: [string, string, string][]): string {
    for (const [s, k, v] of settings) {
        if ([s, k, v].some((x) => /[\t\n]/.test(x))) throw new Error(`nova setting [${s}] ${k}: tabs and newlines are not allowed`);
    }
    return settings.map((t) => t.join("\t")).join("\n");
}

/** Parses an INI text (nova.conf syntax) into [section, key, value] triples, in order. */
export function parseIni(text: string): [string, string, string][] {
    const out: [string, string, string][] = [];
    let section = "DEFAULT";
    for (const raw of text.split("\n")) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
        const header = /^\[([^\]]+)\]$/.exec(line);
        if (header) {
            section = header[1]!;
            continue;
        }
        const eq = line.indexOf("=");
        if (eq > 0) out.push([section, line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
    }
    return out;
}

export function novaCompute(spec: NovaComputeSpec): HostStep {
    const file = spec.configPath;
    const own = novaComputeSettings(spec);
    const create = `
[ -f ${cmd(file)} ] || { echo ${cmd(`${file} does not exist: is nova-compute installed on`)} "$(hostname)?" >&2; exit 1; }
read_secret CONTROLLER
while IFS=$'\\t' read -r sec key val; do
  [ -n "$sec" ] && ini_set ${cmd(file)} "$sec" "$key" "$val"
done <<<"$CONTROLLER"
${own.map(([s, k, v]) => `ini_set ${cmd(file, s, k, v)}`).join("\n")}
# A compute never talks to the database: the packaged sqlite default must not linger.
ini_unset ${cmd(file, "database", "connection")}
mkdir -p ${cmd(spec.instancesPath)}
enable_units nova-compute.service
if [ \${#CHANGED[@]} -gt 0 ]; then systemctl restart nova-compute.service; echo "nova-compute (re)started"
else systemctl is-active --quiet nova-compute.service || systemctl start nova-compute.service; fi
# A libvirtd (re)started after nova-compute cut its connection: nova-compute then disables its service
# ("AUTO: Connection to libvirt lost") and connects again only at its next periodic task, up to a minute
# later. Restarted, it connects at once, and the host is schedulable again sooner.
since() { systemctl show -p ActiveEnterTimestampMonotonic --value "$1"; }
if systemctl is-active --quiet libvirtd.service && [ "$(since libvirtd.service)" -gt "$(since nova-compute.service)" ]; then
  systemctl restart nova-compute.service; echo "nova-compute restarted: libvirtd restarted after it"
fi
systemctl is-active --quiet nova-compute.service || { journalctl -u nova-compute --no-pager -n 20 >&2; exit 1; }
# When this nova-compute started: Nova counts the service up once it reported in after that.
echo "nova-compute active since $(date -u -d "$(systemctl show -p ActiveEnterTimestamp --value nova-compute.service)" +%Y-%m-%dT%H:%M:%SZ)"`;
    const check = `
read_secret CONTROLLER
while IFS=$'\\t' read -r sec key val; do
  # Never print these values: they hold passwords, and drift lines end up in previews and state.
  [ -n "$sec" ] && [ "$(ini_get ${cmd(file)} "$sec" "$key")" != "$val" ] && echo ${cmd(`DRIFT ${file}:`)} "[$sec] $key differs from the control plane's setting"
done <<<"$CONTROLLER"
${own.map(([s, k, v]) => `ini_check ${cmd(file, s, k, v)}`).join("\n")}
unit_check_enabled nova-compute.service
unit_check_active nova-compute.service
true`;
    return { create: hostScript("run nova-compute with the libvirt driver", create), check: hostScript("check nova-compute", check) };
}
