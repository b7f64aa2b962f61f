// Pre-flight of a live migration: what Nova would only find out once the move runs, checked over SSH on
// the two hosts before it is attempted. Each check returns a reason when it fails, naming hosts.
import { runScript, type SshCredentials, type SshTarget } from "../ssh/exec";
import { shq } from "../hostscripts/quote";

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
}

const STEP = "live-migration pre-flight";

async function on(creds: SshCredentials, host: SshTarget, script: string): Promise<{ ok: boolean; out: string }> {
    try {
        const { stdout } = await runScript(host, creds, `set -u\n${script}`, { step: STEP, connectTimeoutMs: 15_000 });
        return { ok: true, out: stdout.trim() };
    } catch (err) {
        // A failed check's own output says why (virsh's error, say); fall back to the error message.
        const e = err as Error & { stdout?: string; stderr?: string };
        const said = `${e.stdout ?? ""}\n${e.stderr ?? ""}`.trim();
        return { ok: false, out: said || e.message };
    }
}

/** Runs every check; returns the failures (empty when the move can go ahead). */
export async function preflight(creds: SshCredentials, p: PreflightPlan): Promise<string[]> {
    const src = p.source.name;
    const dst = p.destination.name;
    const failures: string[] = [];
    const path = shq(p.instancesPath);

    // 1. The source's libvirt must reach the destination's over the configured transport (nova's p2p path).
    const uri = `qemu+${p.transport}://${dst}/system`;
    const reach = await on(creds, p.source, `timeout 20 virsh -c ${shq(uri)} hostname 2>&1`);
    if (!reach.ok || reach.out.split("\n").pop() !== dst) {
        failures.push(`${src} cannot reach libvirt on ${dst} over ${p.transport} (${uri}): ${lastLine(reach.out)}`);
    }

    // 2. Same instances path, same nova uid/gid on both (the disk files must mean the same thing on both).
    const ident = `[ -d ${path} ] || { echo "no ${p.instancesPath}"; exit 1; }; echo "$(id -u nova):$(id -g nova) $(stat -c %u:%g ${path})"`;
    const [a, b] = await Promise.all([on(creds, p.source, ident), on(creds, p.destination, ident)]);
    if (!a.ok || !b.ok) failures.push(`instances path ${p.instancesPath}: ${!a.ok ? `${src}: ${lastLine(a.out)}` : `${dst}: ${lastLine(b.out)}`}`);
    else if (a.out !== b.out) failures.push(`nova uid:gid and owner of ${p.instancesPath} differ: ${src} has ${a.out}, ${dst} has ${b.out}`);

    // 3. The shared store is mounted where the stack mounts it, and really shared: a file written on one
    //    host is visible on the other, or not.
    for (const h of [p.source, p.destination].filter((x) => p.sharedStore.includes(x.name))) {
        const m = await on(creds, h, `findmnt -n -o FSTYPE --mountpoint ${path} || echo none`);
        if (!m.ok || !m.out.startsWith("fuse.glusterfs")) {
            failures.push(`the shared instance store is not mounted at ${p.instancesPath} on ${h.name} (found: ${lastLine(m.out)})`);
        }
    }
    const expectShared = p.sharedStore.includes(src) && p.sharedStore.includes(dst);
    const probe = `${p.instancesPath}/.livemig-preflight-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const wrote = await on(creds, p.source, `echo ${shq(src)} > ${shq(probe)} && sync && echo ok`);
    if (wrote.ok) {
        const seen = await on(creds, p.destination, `cat ${shq(probe)} 2>/dev/null || true`);
        await on(creds, p.source, `rm -f ${shq(probe)}`);
        const shared = seen.ok && seen.out === src;
        if (expectShared && !shared) failures.push(`${p.instancesPath} should be shared between ${src} and ${dst}, but a file written on ${src} is not visible on ${dst}`);
        if (p.blockMigration === false && !shared) {
            failures.push(`${p.instancesPath} is not shared between ${src} and ${dst}, but moves.blockMigration is false: use auto or true`);
        }
        if (p.blockMigration === true && shared) {
            failures.push(`${p.instancesPath} is shared between ${src} and ${dst}, but moves.blockMigration is true: use auto or false`);
        }
    } else {
        failures.push(`cannot write to ${p.instancesPath} on ${src}: ${lastLine(wrote.out)}`);
    }

    // 4. CPU: the destination's CPU must be identical to, or a superset of, the source's.
    const cpu = await on(creds, p.source, `virsh -c qemu:///system capabilities | sed -n '/<host>/,/<\\/host>/p' | sed -n '/<cpu>/,/<\\/cpu>/p'`);
    if (cpu.ok && cpu.out.includes("<cpu>")) {
        const cmp = await on(creds, p.destination, `f=$(mktemp); cat > "$f" <<'EOF'\n${cpu.out}\nEOF\nvirsh -c qemu:///system cpu-compare "$f" 2>&1; rm -f "$f"`);
        if (!cmp.ok || /incompatible/i.test(cmp.out)) failures.push(`the CPU of ${dst} is not compatible with ${src}'s: ${lastLine(cmp.out)}`);
    } else {
        failures.push(`cannot read ${src}'s host CPU from libvirt: ${lastLine(cpu.out)}`);
    }
    // 5. Post-copy needs userfaultfd for QEMU's (unprivileged) user; nova does not check, and every
    //    migration then fails with "Postcopy is not supported".
    if (p.permitPostCopy) {
        const uffd = `[ "$(cat /proc/sys/vm/unprivileged_userfaultfd 2>/dev/null)" = 1 ] || runuser -u libvirt-qemu -- test -r /dev/userfaultfd -a -w /dev/userfaultfd`;
        for (const h of [p.source, p.destination]) {
            const r = await on(creds, h, uffd);
            if (!r.ok) {
                failures.push(
                    `nova.permitPostCopy is true, but QEMU on ${h.name} cannot use userfaultfd (vm.unprivileged_userfaultfd is 0 and ` +
                        `libvirt-qemu cannot open /dev/userfaultfd), so every migration would fail with "Postcopy is not supported": ` +
                        `set vm.unprivileged_userfaultfd=1 there, or nova.permitPostCopy: false`,
                );
            }
        }
    }
    return failures;
}

function lastLine(text: string): string {
    return text.trim().split("\n").filter(Boolean).pop() ?? "no output";
}
