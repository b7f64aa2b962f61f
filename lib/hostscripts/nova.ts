// nova.conf's live-migration settings, edited in place: every other line of the file stays as it is.
import { cmd, hostScript, oneLine } from "./prelude";
import type { HostStep } from "./step";

export interface NovaMigrationSpec {
    configPath: string;
    instancesPath: string;
    /** tls → live_migration_scheme tls (qemu+tls://); otherwise tcp. */
    scheme: "tls" | "tcp";
    /** This host's address for incoming migrations (live_migration_inbound_addr). */
    inboundAddress: string;
    /** QEMU-native TLS for the migration stream (needs the certificates under /etc/pki/qemu). */
    nativeTls: boolean;
    permitPostCopy: boolean;
    permitAutoConverge: boolean;
    timeoutAction: "abort" | "force_complete";
    completionTimeout: number;
    bandwidth?: number;
    maxConcurrentLiveMigrations: number;
}

/**
 * Removed or superseded options that must not linger: live_migration_flag / block_migration_flag were
 * removed in nova 14.0.0 (Newton) and are ignored; live_migration_uri is deprecated and overrides the scheme.
 */
export const OBSOLETE: [string, string][] = [
    ["DEFAULT", "live_migration_flag"],
    ["DEFAULT", "block_migration_flag"],
    ["libvirt", "live_migration_flag"],
    ["libvirt", "block_migration_flag"],
    ["libvirt", "live_migration_uri"],
];

export function novaSettings(spec: NovaMigrationSpec): [string, string, string][] {
    const bool = (b: boolean) => (b ? "true" : "false");
    const s: [string, string, string][] = [
        ["DEFAULT", "instances_path", spec.instancesPath],
        ["DEFAULT", "max_concurrent_live_migrations", String(spec.maxConcurrentLiveMigrations)],
        ["libvirt", "live_migration_scheme", spec.scheme],
        ["libvirt", "live_migration_inbound_addr", spec.inboundAddress],
        ["libvirt", "live_migration_with_native_tls", bool(spec.nativeTls)],
        ["libvirt", "live_migration_permit_post_copy", bool(spec.permitPostCopy)],
        ["libvirt", "live_migration_permit_auto_converge", bool(spec.permitAutoConverge)],
        ["libvirt", "live_migration_timeout_action", spec.timeoutAction],
        ["libvirt", "live_migration_completion_timeout", String(spec.completionTimeout)],
    ];
    if (spec.bandwidth !== undefined) s.push(["libvirt", "live_migration_bandwidth", String(spec.bandwidth)]);
    // Each becomes a line of nova.conf: a line break would add settings of its own.
    return s.map(([sec, k, v]) => [sec, k, oneLine(`nova.conf [${sec}] ${k}`, v)]);
}

export function novaMigrationConfig(spec: NovaMigrationSpec): HostStep {
    const file = spec.configPath;
    const settings = novaSettings(spec);
    const unsets: [string, string][] = [...OBSOLETE, ...(spec.bandwidth === undefined ? [["libvirt", "live_migration_bandwidth"] as [string, string]] : [])];
    const create = `
if [ ! -f ${cmd(file)} ]; then
  echo ${cmd(`${file} does not exist: is nova-compute installed on`)} "$(hostname)?" >&2; exit 1
fi
${settings.map(([sec, k, v]) => `ini_set ${cmd(file, sec, k, v)}`).join("\n")}
${unsets.map(([sec, k]) => `ini_unset ${cmd(file, sec, k)}`).join("\n")}
if [ \${#CHANGED[@]} -gt 0 ]; then
  # Only a running nova-compute needs to re-read its config.
  if [ -d /run/systemd/system ]; then systemctl try-restart nova-compute.service; fi
  echo "nova.conf updated; nova-compute restarted if it was running"
else
  echo "nova.conf already as configured"
fi`;
    const check = `
${settings.map(([sec, k, v]) => `ini_check ${cmd(file, sec, k, v)}`).join("\n")}
${unsets.map(([sec, k]) => `[ "$(ini_count ${cmd(file, sec, k)})" = 0 ] || echo ${cmd(`DRIFT ${file}: [${sec}] ${k} is set (remove it)`)}`).join("\n")}
true`;
    return { create: hostScript("configure nova for live migration", create), check: hostScript("check nova.conf", check) };
}
