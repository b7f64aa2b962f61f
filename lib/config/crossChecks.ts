// Rules that span several parts of the config (hosts referenced elsewhere, brick layout, opt-ins).
// They run even when other fields are invalid, so the value may be malformed: every read is defensive.
import type { z } from "zod";
import { AGENT_ONLY } from "./fenceSchemas";

type Ctx = z.core.$RefinementCtx<unknown>;
type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function issue(ctx: Ctx, path: (string | number)[], message: string, input?: unknown) {
    ctx.addIssue({ code: "custom", path, message, input });
}

function duplicates(ctx: Ctx, hosts: unknown[]) {
    for (const field of ["name", "address"] as const) {
        const seen = new Map<string, number>();
        hosts.forEach((h, i) => {
            const value = str(obj(h)[field]);
            if (value === undefined) return;
            const first = seen.get(value);
            if (first === undefined) return void seen.set(value, i);
            issue(ctx, ["hosts", i, field], `duplicate host ${field} ${JSON.stringify(value)}: already used by hosts[${first}]`, value);
        });
    }
}

/** Checks that `name` is a declared host with `role`; `what` says where it was referenced. */
function declared(ctx: Ctx, roles: Map<string, unknown[]>, name: unknown, role: string, path: (string | number)[]) {
    if (typeof name !== "string") return;
    const r = roles.get(name);
    if (!r) issue(ctx, path, `${JSON.stringify(name)} is not a declared host; declared: ${[...roles.keys()].join(", ")}`, name);
    else if (!r.includes(role)) issue(ctx, path, `host ${JSON.stringify(name)} does not have the ${role} role (it has: ${r.join(", ")})`, name);
}

function libvirt(ctx: Ctx, libvirt: Obj) {
    const transport = str(libvirt.transport) ?? "tls";
    if (transport === "tcp-insecure" && libvirt.allowInsecureTcp !== true) {
        issue(
            ctx,
            ["libvirt", "transport"],
            'tcp-insecure is the walkthrough\'s auth_tcp = "none": anyone who reaches port 16509 controls every VM on the host, ' +
                "and migration traffic is unencrypted. Use tls (the default) or tcp-sasl, or set libvirt.allowInsecureTcp: true to accept the risk",
            transport,
        );
    }
    if (transport === "tcp-sasl" && libvirt.sasl === undefined) {
        issue(ctx, ["libvirt", "sasl"], "tcp-sasl needs libvirt.sasl.password (a secret): pulumi config set --secret --path libvirt.sasl.password");
    }
}

function gluster(ctx: Ctx, roles: Map<string, unknown[]>, g: Obj) {
    const bricks = arr(g.bricks);
    const replica = typeof g.replica === "number" ? g.replica : 3;
    const mountPoint = str(obj(g.disk).mountPoint) ?? "/brick1";
    const seen = new Map<string, number>();
    bricks.forEach((b, i) => {
        const { host, path } = obj(b);
        declared(ctx, roles, host, "gluster", ["gluster", "bricks", i, "host"]);
        // A brick at the disk's root would put gluster's metadata beside lost+found, and a brick on an
        // unmounted disk would silently fill the root filesystem: gluster wants a directory below it.
        if (typeof path === "string" && (!path.startsWith(`${mountPoint}/`) || path.replace(/\/+$/, "") === mountPoint.replace(/\/+$/, ""))) {
            issue(ctx, ["gluster", "bricks", i, "path"], `a brick must be a directory below the brick disk's mount point ${mountPoint}, received ${JSON.stringify(path)}`, path);
        }
        const key = `${String(host)}:${String(path)}`;
        const first = seen.get(key);
        if (first !== undefined) issue(ctx, ["gluster", "bricks", i], `brick ${key} is listed twice (first at gluster.bricks[${first}])`);
        else seen.set(key, i);
    });
    if (bricks.length > 0 && bricks.length % replica !== 0) {
        issue(
            ctx,
            ["gluster", "bricks"],
            `${bricks.length} bricks do not fit replica ${replica}: the brick count must be a multiple of ${replica} (consecutive groups of ${replica} form a replica set)`,
        );
    }
    if (g.arbiter === 1 && replica !== 3) issue(ctx, ["gluster", "arbiter"], `an arbiter needs replica 3, not replica ${replica}`);
    if (replica === 2 && g.acknowledgeSplitBrainRisk !== true) {
        issue(
            ctx,
            ["gluster", "replica"],
            "replica 2 can split-brain: when the two copies are written apart, gluster cannot tell which is right and files become unreadable. " +
                "Use replica 3 or arbiter: 1 (replica 3 with a metadata-only third brick), or set gluster.acknowledgeSplitBrainRisk: true",
            2,
        );
    }
}

function instanceStore(ctx: Ctx, roles: Map<string, unknown[]>, store: Obj, hasGluster: boolean) {
    if (!hasGluster) issue(ctx, ["instanceStore"], "the instance store mounts the GlusterFS volume: configure gluster too");
    arr(store.computes).forEach((c, i) => declared(ctx, roles, c, "compute", ["instanceStore", "computes", i]));
    if (store.server !== undefined) declared(ctx, roles, store.server, "gluster", ["instanceStore", "server"]);
}

function unique(ctx: Ctx, items: unknown[], field: string, path: string, what: string) {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
        const v = str(obj(item)[field]);
        if (v === undefined) return;
        const first = seen.get(v);
        if (first === undefined) return void seen.set(v, i);
        issue(ctx, [path, i, field], `${what} ${JSON.stringify(v)} appears twice (first at ${path}[${first}])`, v);
    });
}

/** A list of host names (or server names) where each may appear once. */
function noRepeats(ctx: Ctx, list: unknown, path: (string | number)[], what = "host") {
    const seen = new Map<string, number>();
    arr(list).forEach((v, i) => {
        if (typeof v !== "string") return;
        const first = seen.get(v);
        if (first === undefined) return void seen.set(v, i);
        issue(ctx, [...path, i], `${what} ${JSON.stringify(v)} is listed twice (first at index ${first})`, v);
    });
}

/** The `computes` list, or else the hosts with the compute role. */
function knownComputes(cfg: Obj, hosts: unknown[]): string[] {
    return Array.isArray(cfg.computes)
        ? cfg.computes.filter((c): c is string => typeof c === "string")
        : hosts.filter((h) => arr(obj(h).roles).includes("compute")).map((h) => str(obj(h).name)).filter((n): n is string => !!n);
}

function cloud(ctx: Ctx, cfg: Obj, hosts: unknown[]) {
    const computes = knownComputes(cfg, hosts);
    const known = (name: unknown, path: (string | number)[]) => {
        if (typeof name === "string" && !computes.includes(name)) {
            issue(ctx, path, `${JSON.stringify(name)} is not a known compute; known: ${computes.join(", ") || "none"} (hosts with the compute role, or the computes list)`, name);
        }
    };
    const servers = arr(cfg.servers);
    const maintenance = arr(cfg.maintenance);
    const evacuations = arr(cfg.evacuations);
    unique(ctx, servers, "name", "servers", "server name");
    unique(ctx, maintenance, "host", "maintenance", "host");
    unique(ctx, evacuations, "host", "evacuations", "host");
    noRepeats(ctx, cfg.computes, ["computes"]);
    const leaving = new Map<string, string>();
    const drained = new Map<string, number>();
    maintenance.forEach((m, i) => {
        known(obj(m).host, ["maintenance", i, "host"]);
        // `maintenance: false` declares the host back in service: servers may go there again.
        if (typeof obj(m).host === "string" && obj(m).maintenance !== false) {
            leaving.set(obj(m).host as string, "in maintenance");
            drained.set(obj(m).host as string, i);
        }
    });
    const placementOf = (name: unknown) => obj(obj(servers.find((s) => obj(s).name === name)).placement);
    evacuations.forEach((e, i) => {
        const { host, target, servers: names } = obj(e);
        known(host, ["evacuations", i, "host"]);
        known(target, ["evacuations", i, "target"]);
        if (typeof host === "string" && drained.has(host)) {
            issue(
                ctx,
                ["evacuations", i, "host"],
                `${host} is also in maintenance (maintenance[${drained.get(host)}]): a failed host is evacuated, a working one drained by live migration; declare one of them`,
                host,
            );
        }
        if (typeof host === "string") leaving.set(host, "being evacuated");
        if (target !== undefined && target === host) issue(ctx, ["evacuations", i, "target"], `cannot evacuate ${String(host)} onto itself`);
        noRepeats(ctx, names, ["evacuations", i, "servers"], "server");
        arr(names).forEach((n, j) => {
            if (typeof n !== "string") return;
            if (!servers.some((s) => obj(s).name === n)) return issue(ctx, ["evacuations", i, "servers", j], `${JSON.stringify(n)} is not a server of this stack`, n);
            // The evacuation puts it on `target`; a placement that does not admit it would move it again at once.
            const p = placementOf(n);
            const refused = typeof target === "string" && ((typeof p.host === "string" && p.host !== target) || arr(p.notOn).includes(target));
            if (refused) {
                issue(
                    ctx,
                    ["evacuations", i, "servers", j],
                    `the evacuation of ${String(host)} sends ${n} to ${target}, but its placement wants ${typeof p.host === "string" ? p.host : `any host but ${arr(p.notOn).join(", ")}`}: make them agree`,
                    n,
                );
            }
        });
    });
    // Somewhere must be left for the servers of the hosts that are drained or evacuated.
    if (computes.length > 0 && leaving.size > 0 && computes.every((c) => leaving.has(c))) {
        issue(
            ctx,
            [drained.size > 0 ? "maintenance" : "evacuations"],
            `every compute (${computes.join(", ")}) is in maintenance or being evacuated: their servers would have nowhere to go; keep at least one in service`,
        );
    }
    evacuations.forEach((e, i) => {
        const t = obj(e).target;
        if (typeof t === "string" && leaving.has(t)) issue(ctx, ["evacuations", i, "target"], `target ${t} is itself ${leaving.get(t)}`);
    });
    servers.forEach((s, i) => {
        const p = obj(obj(s).placement);
        known(p.host, ["servers", i, "placement", "host"]);
        arr(p.notOn).forEach((h, j) => known(h, ["servers", i, "placement", "notOn", j]));
        noRepeats(ctx, p.notOn, ["servers", i, "placement", "notOn"]);
        if (computes.length > 0 && computes.every((c) => arr(p.notOn).includes(c))) {
            issue(ctx, ["servers", i, "placement", "notOn"], `notOn excludes every compute (${computes.join(", ")}): ${String(obj(s).name)} could run nowhere`);
        }
        if (typeof p.host === "string" && leaving.has(p.host)) {
            issue(ctx, ["servers", i, "placement", "host"], `${p.host} is ${leaving.get(p.host)}: place ${String(obj(s).name)} elsewhere (e.g. notOn: [${p.host}])`, p.host);
        }
    });
}

/**
 * Fence devices name known hosts, one each; agent-specific options match the agent; and every evacuation
 * has its proof that the host is off: a fence device, or the operator's `fenced: true`.
 */
function fencing(ctx: Ctx, cfg: Obj, known: string[]) {
    const devices = arr(cfg.fenceDevices);
    unique(ctx, devices, "host", "fenceDevices", "host");
    devices.forEach((d, i) => {
        const dev = obj(d);
        if (typeof dev.host === "string" && !known.includes(dev.host)) {
            issue(ctx, ["fenceDevices", i, "host"], `${JSON.stringify(dev.host)} is not a declared host or known compute; known: ${known.join(", ") || "none"}`, dev.host);
        }
        for (const [key, agent] of Object.entries(AGENT_ONLY)) {
            if (dev[key] !== undefined && typeof dev.agent === "string" && dev.agent !== agent) {
                issue(ctx, ["fenceDevices", i, key], `${key} is an option of ${agent}, not of ${dev.agent}`);
            }
        }
    });
    const fenceable = new Set(devices.map((d) => obj(d).host).filter((h): h is string => typeof h === "string"));
    arr(cfg.evacuations).forEach((e, i) => {
        const { host, fenced } = obj(e);
        if (typeof host !== "string" || fenced === true || fenceable.has(host)) return;
        issue(
            ctx,
            ["evacuations", i],
            `evacuating ${host} needs proof that it is off, or its servers could run twice on the same disks: declare its ` +
                `power device in fenceDevices (the stack then powers it off and waits until the device reports it off), or power ` +
                `it off yourself and set fenced: true. A down nova-compute service is no such proof (a crashed service or a cut ` +
                `network looks the same to Nova)`,
        );
    });
}

/**
 * Automatic recovery: every segment member is a declared compute with a fence device (Pacemaker's
 * STONITH goes through it), in one segment only; reserved hosts belong to their segment and are not in
 * maintenance; a reserved-host recovery method has a reserved host.
 */
function ha(ctx: Ctx, cfg: Obj, roles: Map<string, unknown[]>) {
    const fenceable = new Set(arr(cfg.fenceDevices).map((d) => obj(d).host));
    const inMaintenance = new Set(arr(cfg.maintenance).filter((m) => obj(m).maintenance !== false).map((m) => obj(m).host));
    const member = new Map<string, number>();
    const segments = arr(obj(cfg.ha).segments);
    segments.forEach((seg, i) => {
        const { name, hosts, reservedHosts, recoveryMethod } = obj(seg);
        const at = (...rest: (string | number)[]) => ["ha", "segments", i, ...rest];
        const first = segments.findIndex((o) => obj(o).name === name);
        if (typeof name === "string" && first !== i) issue(ctx, at("name"), `segment name ${JSON.stringify(name)} appears twice (first at ha.segments[${first}])`, name);
        const list = arr(hosts);
        noRepeats(ctx, hosts, at("hosts"));
        noRepeats(ctx, reservedHosts, at("reservedHosts"));
        list.forEach((h, j) => {
            if (typeof h !== "string") return;
            declared(ctx, roles, h, "compute", at("hosts", j));
            if (!fenceable.has(h)) {
                issue(ctx, at("hosts", j), `${h} needs a fence device in fenceDevices: the cluster powers a lost member off through it (STONITH) before Masakari recovers its servers elsewhere`, h);
            }
            const other = member.get(h);
            if (other !== undefined && other !== i) issue(ctx, at("hosts", j), `${h} is already a member of ha.segments[${other}]: a host belongs to one segment`, h);
            else member.set(h, i);
        });
        arr(reservedHosts).forEach((r, j) => {
            if (typeof r !== "string") return;
            if (!list.includes(r)) issue(ctx, at("reservedHosts", j), `reserved host ${r} is not one of the segment's hosts (${list.join(", ")})`, r);
            if (inMaintenance.has(r)) issue(ctx, at("reservedHosts", j), `reserved host ${r} is in maintenance: it could not take the servers of a failed host`, r);
        });
        if ((recoveryMethod === "reserved_host" || recoveryMethod === "rh_priority") && arr(reservedHosts).length === 0) {
            issue(ctx, at("reservedHosts"), `recovery method ${recoveryMethod} needs at least one reserved host`);
        }
    });
}

/**
 * Ceph: its computes are declared computes; instance disks in RBD only on computes with the Ceph client,
 * and never on one that also mounts the Gluster store (one storage mode per compute: pre-flight and Nova
 * must agree on what is shared).
 */
function ceph(ctx: Ctx, cfg: Obj, roles: Map<string, unknown[]>) {
    const c = obj(cfg.ceph);
    const computeHosts = [...roles].filter(([, r]) => r.includes("compute")).map(([n]) => n);
    noRepeats(ctx, c.computes, ["ceph", "computes"]);
    arr(c.computes).forEach((h, i) => declared(ctx, roles, h, "compute", ["ceph", "computes", i]));
    const clients = Array.isArray(c.computes) ? arr(c.computes) : computeHosts;
    const disks = obj(c.instanceDisks);
    noRepeats(ctx, disks.computes, ["ceph", "instanceDisks", "computes"]);
    const store = cfg.instanceStore === undefined ? [] : Array.isArray(obj(cfg.instanceStore).computes) ? arr(obj(cfg.instanceStore).computes) : computeHosts;
    arr(disks.computes).forEach((h, i) => {
        if (typeof h !== "string") return;
        const at = ["ceph", "instanceDisks", "computes", i];
        if (!roles.has(h)) return declared(ctx, roles, h, "compute", at);
        if (!clients.includes(h)) issue(ctx, at, `${h} keeps its instance disks in RBD, so it needs the Ceph client: add it to ceph.computes`, h);
        if (store.includes(h)) {
            issue(ctx, at, `${h} also mounts the Gluster instance store (instanceStore.computes): choose one storage mode per compute`, h);
        }
    });
}

export function crossChecks(value: unknown, ctx: Ctx): void {
    const cfg = obj(value);
    const hosts = arr(cfg.hosts);
    duplicates(ctx, hosts);
    if (hosts.length > 0 && cfg.ssh === undefined) {
        issue(ctx, ["ssh"], "the stack configures hosts over SSH: set ssh.privateKeyPath (or ssh.privateKey as a secret), and ssh.knownHostsPath");
    }
    const roles = new Map<string, unknown[]>();
    for (const h of hosts) {
        const name = str(obj(h).name);
        if (name !== undefined && !roles.has(name)) roles.set(name, arr(obj(h).roles));
    }
    libvirt(ctx, obj(cfg.libvirt));
    if (cfg.gluster !== undefined) gluster(ctx, roles, obj(cfg.gluster));
    if (cfg.instanceStore !== undefined) instanceStore(ctx, roles, obj(cfg.instanceStore), cfg.gluster !== undefined);
    noRepeats(ctx, obj(cfg.instanceStore).computes, ["instanceStore", "computes"]);
    arr(obj(cfg.novaCompute).computes).forEach((c, i) => declared(ctx, roles, c, "compute", ["novaCompute", "computes", i]));
    noRepeats(ctx, obj(cfg.novaCompute).computes, ["novaCompute", "computes"]);
    cloud(ctx, cfg, hosts);
    fencing(ctx, cfg, [...new Set([...roles.keys(), ...knownComputes(cfg, hosts)])]);
    if (cfg.ha !== undefined) ha(ctx, cfg, roles);
    if (cfg.ceph !== undefined) ceph(ctx, cfg, roles);
}
