// Pre-flight of a live migration: what Nova would only find out once the move runs, checked over SSH on
// the two hosts before it is attempted. One connection per host and one script on each (a third, tiny one
// removes the probe file when the store is not shared); the checks themselves are judged here, from what
// the scripts printed, so they can be tested without hosts.
import { openSession, type RunOptions, type SshCredentials, type SshSession, type SshTarget } from "../ssh/exec";
import { shq } from "../hostscripts/quote";
import { cachedPass } from "./preflightCache";

export interface PreflightPlan {
    source: SshTarget;
    destination: SshTarget;
    /** How the source's libvirt reaches the destination's: tls → qemu+tls://, tcp → qemu+tcp://. */
    transport: "tls" | "tcp";
    instancesPath: string;
    blockMigration: boolean | "auto";
    /** Hosts that mount the shared instance store (an empty list: none is expected to). */
    sharedStore: string[];
    /** nova permits post-copy: QEMU on both hosts must then be able to use userfaultfd. */
    permitPostCopy: boolean;
    /** nova.conf on both hosts (its RBD settings are compared); default /etc/nova/nova.conf. */
    novaConf?: string;
    /** The destination is a client of the stack's Ceph cluster: it must reach these pools with the user's key. */
    ceph?: { user: string; pools: string[] };
    /** The server boots from a volume: it has no disk of its own, so where instance disks live does not matter. */
    volumeBacked?: boolean;
}

const STEP = "live-migration pre-flight";
const OPTS: RunOptions = { step: STEP, connectTimeoutMs: 15_000 };
/** A passed pre-flight is reused within one run of the CLI for at most this long: `pulumi up` checks again right after its own preview. */
export const PREFLIGHT_REUSE_MS = 120_000;

// nova's RBD settings: images_type, images_rbd_pool, rbd_secret_uuid ("-" when not set).
const novaRbd = (conf: string) =>
    `echo "NOVARBD $(awk -F= '{ line = $0; sub(/^[ \t]+/, "", line) } substr(line, 1, 1) == "[" { s = substr(line, 2, index(line, "]") - 2); next } s == "libvirt" { k = $1; gsub(/[ \t]/, "", k); v = substr($0, index($0, "=") + 1); gsub(/^[ \t]+|[ \t]+$/, "", v); val[k] = v } END { printf "%s %s %s", (val["images_type"] != "" ? val["images_type"] : "-"), (val["images_rbd_pool"] != "" ? val["images_rbd_pool"] : "-"), (val["rbd_secret_uuid"] != "" ? val["rbd_secret_uuid"] : "-") }' ${shq(conf)} 2>/dev/null || echo "- - -")"`;

const ident = `if [ -d "$path" ]; then echo "IDENT $(id -u nova 2>/dev/null):$(id -g nova 2>/dev/null) $(stat -c %u:%g "$path")"; else echo "IDENT missing"; fi
echo "FSTYPE $(findmnt -n -o FSTYPE --mountpoint "$path" 2>/dev/null || echo none)"`;
// Post-copy needs userfaultfd for QEMU's (unprivileged) user; nova does not check, and every migration
// then fails with "Postcopy is not supported".
const uffd = `if [ "$(cat /proc/sys/vm/unprivileged_userfaultfd 2>/dev/null)" = 1 ] || runuser -u libvirt-qemu -- test -r /dev/userfaultfd -a -w /dev/userfaultfd 2>/dev/null; then echo "UFFD ok"; else echo "UFFD no"; fi`;

/** The source's script: reach the destination's libvirt, identity, store, write the probe, its CPU. */
export function sourceScript(p: PreflightPlan, probe: string): string {
    const uri = `qemu+${p.transport}://${p.destination.name}/system`;
    return `set -u
path=${shq(p.instancesPath)}
echo "REACH $(timeout 20 virsh -c ${shq(uri)} hostname 2>&1 | grep -v '^$' | tail -n 1)"
${ident}
if out=$( { printf '%s\\n' ${shq(p.source.name)} > ${shq(probe)}; } 2>&1 ) && sync; then echo "PROBE ok"; else echo "PROBE $(printf '%s' "$out" | tail -n 1)"; fi
${p.permitPostCopy ? uffd : ""}
echo "CPU $(virsh -c qemu:///system capabilities 2>&1 | sed -n '/<host>/,/<\\/host>/p' | sed -n '/<cpu>/,/<\\/cpu>/p' | base64 -w0)"
${novaRbd(p.novaConf ?? "/etc/nova/nova.conf")}
`;
}

/**
 * The destination's script. Its stdin is the source's CPU description: data read into a file, never part
 * of the script, so nothing one host prints can run as a command on the other. The probe it read is removed
 * in the background: an unlink on the Gluster store takes most of a second, and nothing needs to wait for it.
 */
export function destinationScript(p: PreflightPlan, probe: string): string {
    return `set -u
path=${shq(p.instancesPath)}
${ident}
if seen=$(cat ${shq(probe)} 2>/dev/null); then echo "SEEN $seen"; rm -f ${shq(probe)} </dev/null >/dev/null 2>&1 & else echo "SEEN"; fi
f=$(mktemp); cat > "$f"
if [ -s "$f" ]; then echo "CPUCMP $(virsh -c qemu:///system cpu-compare "$f" 2>&1 | tr '\\n' ' ')"; else echo "CPUCMP"; fi
rm -f "$f"
${p.permitPostCopy ? uffd : ""}
${novaRbd(p.novaConf ?? "/etc/nova/nova.conf")}
${(p.ceph?.pools ?? [])
    .map((pool) => `if out=$(timeout 30 rbd --id ${shq(p.ceph!.user)} ls ${shq(pool)} 2>&1 >/dev/null); then echo ${shq(`RBD:${pool} ok`)}; else echo ${shq(`RBD:${pool}`)} "$(printf '%s' "$out" | tail -n 1)"; fi`)
    .join("\n")}
`;
}

/** `KEY value` lines → map (the last of each key). */
export function fields(out: string): Map<string, string> {
    const m = new Map<string, string>();
    for (const line of out.split("\n")) {
        const sp = line.indexOf(" ");
        if (sp > 0) m.set(line.slice(0, sp), line.slice(sp + 1).trim());
        else if (line.trim()) m.set(line.trim(), "");
    }
    return m;
}

/** What rbd's terse errors mean, for the operator. */
function cephHint(reason: string, pool: string): string {
    if (/\(2\) No such file or directory/.test(reason)) return `the pool ${pool} does not exist (`;
    if (/\(1\) Operation not permitted|\(13\) Permission denied|auth|couldn't connect to the cluster/i.test(reason)) return "the cluster refused the key (wrong key, or caps without this pool) or cannot be reached (";
    if (/timed out|\(110\)/i.test(reason)) return "no monitor answered (";
    return "(";
}

/** What the two scripts printed → the failures (empty when the move can go ahead). */
export function judge(p: PreflightPlan, src: Map<string, string>, dst: Map<string, string>): string[] {
    const s = p.source.name;
    const d = p.destination.name;
    const failures: string[] = [];
    // 1. The source's libvirt must reach the destination's over the configured transport (nova's p2p path).
    const reach = src.get("REACH") ?? "no output";
    if (reach !== d) failures.push(`${s} cannot reach libvirt on ${d} over ${p.transport} (qemu+${p.transport}://${d}/system): ${reach || "no output"}`);
    // 2. Same instances path, same nova uid/gid on both (the disk files must mean the same thing on both).
    const [a, b] = [src.get("IDENT"), dst.get("IDENT")];
    if (a === "missing" || b === "missing") failures.push(`instances path ${p.instancesPath}: ${a === "missing" ? s : d}: no ${p.instancesPath}`);
    else if (a !== b) failures.push(`nova uid:gid and owner of ${p.instancesPath} differ: ${s} has ${a}, ${d} has ${b}`);
    // 3. The shared store is mounted where the stack mounts it, and really shared: a file written on one
    //    host is visible on the other, or not.
    for (const [host, out] of [[s, src], [d, dst]] as const) {
        const fstype = out.get("FSTYPE") ?? "none";
        if (p.sharedStore.includes(host) && !fstype.startsWith("fuse.glusterfs")) {
            failures.push(`the shared instance store is not mounted at ${p.instancesPath} on ${host} (found: ${fstype})`);
        }
    }
    // RBD instance disks (images_type = rbd): shared through Ceph, whatever the instances path is.
    const [srcRbd, dstRbd] = [src, dst].map((o) => (o.get("NOVARBD") ?? "- - -").split(" ")) as [string[], string[]];
    const bothRbd = srcRbd[0] === "rbd" && dstRbd[0] === "rbd";
    if (p.volumeBacked) {
        // No image disk to move: neither the instance store nor images_type bears on it.
    } else if ((srcRbd[0] === "rbd") !== (dstRbd[0] === "rbd")) {
        const [rbdHost, fileHost] = srcRbd[0] === "rbd" ? [s, d] : [d, s];
        failures.push(`${rbdHost} keeps instance disks in RBD (images_type = rbd) but ${fileHost} keeps them as files: Nova cannot move a server between the two`);
    } else if (bothRbd && srcRbd[1] !== dstRbd[1]) {
        failures.push(`${s} and ${d} keep instance disks in different RBD pools (${srcRbd[1]} and ${dstRbd[1]})`);
    }
    if (srcRbd[2] !== "-" && dstRbd[2] !== "-" && srcRbd[2] !== dstRbd[2]) {
        failures.push(`${s} and ${d} use different libvirt secrets for Ceph (rbd_secret_uuid ${srcRbd[2]} and ${dstRbd[2]}): QEMU on ${d} could not open the disks`);
    }
    for (const pool of p.ceph?.pools ?? []) {
        const r = dst.get(`RBD:${pool}`);
        if (r !== "ok") failures.push(`${d} cannot use the Ceph pool ${pool} as client.${p.ceph!.user}: ${cephHint(r ?? "", pool)}${r || "no output"})`);
    }
    const wrote = src.get("PROBE");
    if (p.volumeBacked) {
        if (wrote !== "ok") failures.push(`cannot write to ${p.instancesPath} on ${s}: ${wrote || "no output"}`);
    } else if (bothRbd) {
        if (p.blockMigration === true) failures.push(`instance disks are RBD images on ${s} and ${d} (shared through Ceph), but moves.blockMigration is true: use auto or false`);
    } else if (wrote !== "ok") failures.push(`cannot write to ${p.instancesPath} on ${s}: ${wrote || "no output"}`);
    else {
        const shared = dst.get("SEEN") === s;
        if (p.sharedStore.includes(s) && p.sharedStore.includes(d) && !shared) {
            failures.push(`${p.instancesPath} should be shared between ${s} and ${d}, but a file written on ${s} is not visible on ${d}`);
        }
        if (p.blockMigration === false && !shared) failures.push(`${p.instancesPath} is not shared between ${s} and ${d}, but moves.blockMigration is false: use auto or true`);
        if (p.blockMigration === true && shared) failures.push(`${p.instancesPath} is shared between ${s} and ${d}, but moves.blockMigration is true: use auto or false`);
    }
    // 4. CPU: the destination's CPU must be identical to, or a superset of, the source's.
    const cpu = src.get("CPU") ?? "";
    const cmp = dst.get("CPUCMP") ?? "";
    if (!Buffer.from(cpu, "base64").toString("utf8").includes("<cpu>")) failures.push(`cannot read ${s}'s host CPU from libvirt`);
    else if (!/identical|superset/i.test(cmp) || /incompatible/i.test(cmp)) failures.push(`the CPU of ${d} is not compatible with ${s}'s: ${cmp || "no output"}`);
    // 5. Post-copy needs userfaultfd on both.
    if (p.permitPostCopy) {
        for (const [host, out] of [[s, src], [d, dst]] as const) {
            if (out.get("UFFD") === "ok") continue;
            failures.push(
                `nova.permitPostCopy is true, but QEMU on ${host} cannot use userfaultfd (vm.unprivileged_userfaultfd is 0 and ` +
                    `libvirt-qemu cannot open /dev/userfaultfd), so every migration would fail with "Postcopy is not supported": ` +
                    `set vm.unprivileged_userfaultfd=1 there, or nova.permitPostCopy: false`,
            );
        }
    }
    return failures;
}

/** Runs every check; returns the failures (empty when the move can go ahead). A pass is reused for a while. */
export async function preflight(creds: SshCredentials, p: PreflightPlan): Promise<string[]> {
    return cachedPass(p, PREFLIGHT_REUSE_MS, () => preflightNow(creds, p), undefined, [p.source.address, p.destination.address]);
}

async function preflightNow(creds: SshCredentials, p: PreflightPlan): Promise<string[]> {
    const probe = `${p.instancesPath}/.livemig-preflight-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    // Both connections open at once; the destination's script then needs what the source's printed.
    const opened = await Promise.allSettled([openSession(p.source, creds, OPTS.connectTimeoutMs), openSession(p.destination, creds, OPTS.connectTimeoutMs)]);
    const sessions = opened.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    try {
        const failed = opened.flatMap((o) => (o.status === "rejected" ? [(o.reason as Error).message] : []));
        if (failed.length > 0) return failed.map((m) => `pre-flight could not run: ${m}`);
        const [source, destination] = sessions as [SshSession, SshSession];
        const src = fields((await source.run(sourceScript(p, probe), OPTS)).stdout);
        const cpuXml = Buffer.from(src.get("CPU") ?? "", "base64").toString("utf8");
        const dst = fields((await destination.run(destinationScript(p, probe), { ...OPTS, stdin: cpuXml })).stdout);
        // Not shared: the probe is on the source only.
        if (src.get("PROBE") === "ok" && dst.get("SEEN") !== p.source.name) await source.run(`rm -f ${shq(probe)}`, OPTS).catch(() => undefined);
        return judge(p, src, dst);
    } catch (err) {
        return [`pre-flight could not run: ${(err as Error).message}`];
    } finally {
        for (const s of sessions) s.close();
    }
}
