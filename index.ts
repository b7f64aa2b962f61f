// The livemig stack: reads and validates the config, then builds the components in dependency order:
// compute hosts (libvirt + nova), the GlusterFS cluster, and the instance store on the computes.
import * as pulumi from "./providers/sdk";
import { readFileSync } from "node:fs";
import { ComputeHost } from "./components/computeHost";
import { GlusterCluster } from "./components/glusterCluster";
import { HaSegment } from "./components/haSegment";
import { InstanceStore } from "./components/instanceStore";
import { Server } from "./components/server";
import { loadStackConfig, type HostConfig } from "./lib/config";
import { controllerSettingsText, parseIni } from "./lib/hostscripts/novaCompute";
import type { SshTarget } from "./lib/ssh/exec";
import { Evacuation } from "./providers/evacuation";
import { HostMaintenance } from "./providers/hostMaintenance";
import { CertificateAuthority } from "./providers/tls";

// V8's own stack traces, not source-map-support's (which @pulumi/pulumi's runner installs): the SDK
// formats a stack trace for every resource and every promise it makes, and mapping each frame through the
// SDK's source maps was a third of the program's CPU in a preview of 200 servers. Our sources lose
// nothing: sucrase keeps their line numbers. Only the SDK's own frames now name its .js files.
Reflect.deleteProperty(Error, "prepareStackTrace");

const config = loadStackConfig();

const ssh = config.ssh ?? { user: "root", port: 22, knownHostsPath: undefined };
if (config.hosts.length > 0 && !ssh.knownHostsPath) {
    pulumi.log.warn("ssh.knownHostsPath is not set: host keys are not checked, so a host could be impersonated");
}

function readSettings(file: string, key = "novaCompute.controllerSettingsPath"): string {
    try {
        return readFileSync(file, "utf8");
    } catch (err) {
        throw new pulumi.RunError(`${key}: cannot read ${file} (${(err as Error).message}); for the lab, run lab/lab up`);
    }
}

const target = (h: HostConfig): SshTarget => ({
    name: h.name,
    address: h.address,
    port: h.ssh?.port ?? ssh.port,
    user: h.ssh?.user ?? ssh.user,
});
const withRole = (role: HostConfig["roles"][number]) => config.hosts.filter((h) => h.roles.includes(role));

const ca =
    config.libvirt.transport === "tls"
        ? new CertificateAuthority("libvirt-ca", { commonName: `livemig ${pulumi.getStack()} migration CA` })
        : undefined;
const sasl = config.libvirt.sasl;

// The control plane's settings for real computes: a file on this machine, read now, kept secret.
const novaComputeCfg = config.novaCompute;
const controllerSettings = novaComputeCfg && pulumi.secret(controllerSettingsText(parseIni(readSettings(novaComputeCfg.controllerSettingsPath))));

// The Ceph client on the computes that use the cluster (the key stays a secret).
const cephCfg = config.ceph;
const cephKey = cephCfg && pulumi.secret(cephCfg.key);
const cephComputes = cephCfg ? (cephCfg.computes ?? withRole("compute").map((h) => h.name)) : [];
const rbdDisks = cephCfg?.instanceDisks?.computes ?? [];
const cephOf = (host: string) =>
    cephCfg && cephComputes.includes(host)
        ? {
              monitors: cephCfg.monitors,
              fsid: cephCfg.fsid,
              user: cephCfg.user,
              secretUuid: cephCfg.secretUuid,
              key: cephKey!,
              instanceDisksPool: rbdDisks.includes(host) ? cephCfg.instanceDisks!.pool : undefined,
          }
        : undefined;

const computeHosts: ComputeHost[] = [];
for (const h of withRole("compute")) {
    const runsNova = novaComputeCfg && (!novaComputeCfg.computes || novaComputeCfg.computes.includes(h.name));
    const c = new ComputeHost(h.name, {
        host: target(h),
        transport: config.libvirt.transport,
        hostUuidSource: config.libvirt.hostUuidSource,
        ca: ca && { certPem: ca.certPem, keyPem: ca.keyPem },
        sasl: sasl && { username: sasl.username, password: pulumi.secret(sasl.password) },
        nova: config.nova,
        ceph: cephOf(h.name),
        failed: config.evacuations.some((e) => e.host === h.name),
        novaCompute: runsNova ? { virtType: novaComputeCfg.virtType, cpuMode: novaComputeCfg.cpuMode, controllerSettings: controllerSettings! } : undefined,
    });
    computeHosts.push(c);
}

const gluster = config.gluster;
const cluster =
    gluster &&
    new GlusterCluster("gluster", {
        hosts: withRole("gluster").map(target),
        disk: gluster.disk,
        bricks: gluster.bricks,
        volume: {
            name: gluster.volume,
            replica: gluster.replica,
            arbiter: gluster.arbiter,
            virtGroup: gluster.virtGroup,
            ownerUid: gluster.ownerUid,
            ownerGid: gluster.ownerGid,
            options: gluster.options,
        },
    });

let instanceStore: InstanceStore | undefined;
let instanceStoreComputes: string[] = [];
if (cluster && gluster && config.instanceStore) {
    const wanted = config.instanceStore.computes;
    const mountOn = withRole("compute").filter((h) => !wanted || wanted.includes(h.name));
    instanceStoreComputes = mountOn.map((h) => h.name);
    const first = config.instanceStore.server && config.hosts.find((h) => h.name === config.instanceStore?.server)?.address;
    instanceStore = new InstanceStore(
        "instance-store",
        {
            computes: mountOn.map(target),
            volumeName: cluster.volumeName,
            servers: cluster.servers.apply((s) => (first ? [first, ...s.filter((a) => a !== first)] : s)),
            path: config.nova.instancesPath,
            uid: gluster.ownerUid,
            gid: gluster.ownerGid,
        },
        { dependsOn: [cluster] },
    );
}

// Cloud side: servers, then maintenance and evacuations, then the placements that must respect them.
// Placements wait for these; they exist only once the servers do, hence a promise resolved below.
let settleMovesAfter!: (r: pulumi.Resource[]) => void;
const movesAfter = new Promise<pulumi.Resource[]>((resolve) => (settleMovesAfter = resolve));
const hostWork: pulumi.Resource[] = [];
const maintenanceReports: Record<string, pulumi.Output<unknown>> = {};
const evacuationReports: Record<string, pulumi.Output<unknown>> = {};
// Pre-flight of planned moves needs SSH to the computes this stack configures.
const { preflight: wantPreflight, ...moves } = config.moves;
const preflight =
    config.ssh && wantPreflight
        ? {
              hosts: Object.fromEntries(withRole("compute").map((h) => [h.name, target(h)])),
              transport: config.libvirt.transport === "tls" ? ("tls" as const) : ("tcp" as const),
              instancesPath: config.nova.instancesPath,
              sharedStore: instanceStore ? instanceStoreComputes : [],
              permitPostCopy: config.nova.permitPostCopy,
              novaConf: config.nova.configPath,
              ceph: cephCfg && {
                  user: cephCfg.user,
                  volumesPool: cephCfg.volumesPool,
                  clients: cephComputes,
                  disks: cephCfg.instanceDisks && { pool: cephCfg.instanceDisks.pool, computes: cephCfg.instanceDisks.computes },
              },
              failedHosts: config.evacuations.map((e) => e.host),
          }
        : undefined;
// Servers wait for the hosts they may run on: nova-compute configured and the instance store mounted.
const createAfter = novaComputeCfg ? [...computeHosts, ...(instanceStore ? [instanceStore] : [])] : undefined;
const servers = config.servers.map((s) => new Server(s.name, { ...s, moves, movesAfter, preflight, createAfter }));
const idByName = new Map(config.servers.map((s, i) => [s.name, servers[i]!.instance.id]));
const instances = servers.map((s) => s.instance);
for (const m of config.maintenance) {
    const r = new HostMaintenance(`maintenance-${m.host}`, { ...m, ...moves }, { dependsOn: instances });
    maintenanceReports[m.host] = pulumi.output({ moves: r.moves, serversOnHost: r.serversOnHost, apiRequests: r.apiRequests });
    hostWork.push(r);
}
// Each host's power device, as the Evacuation provider takes it (the BMC password stays a secret).
const fenceOf = (host: string) => {
    const d = config.fenceDevices.find((f) => f.host === host);
    if (!d) return undefined;
    const { host: _h, ...device } = d;
    return pulumi.secret(JSON.parse(JSON.stringify(device)) as typeof device);
};
for (const e of config.evacuations) {
    const r = new Evacuation(
        `evacuation-${e.host}`,
        {
            host: e.host,
            fenced: e.fenced,
            fence: fenceOf(e.host),
            serverIds: e.servers && pulumi.all(e.servers.map((n) => idByName.get(n)!)),
            target: e.target,
            reboot: e.reboot,
            concurrency: e.concurrency,
            timeoutSeconds: moves.timeoutSeconds,
        },
        { dependsOn: instances },
    );
    evacuationReports[e.host] = pulumi.output({ fencing: r.fencing, evacuated: r.evacuated, apiRequests: r.apiRequests });
    hostWork.push(r);
}

// Automatic recovery: a cluster with STONITH and Masakari's monitors per segment, registered in Masakari.
const haCfg = config.ha;
if (haCfg) {
    const api = new Map(parseIni(readSettings(haCfg.monitorSettingsPath, "ha.monitorSettingsPath")).filter(([sec]) => sec === "api").map(([, k, v]) => [k, v]));
    const need = (k: string) => {
        const v = api.get(k);
        if (!v) throw new pulumi.RunError(`ha.monitorSettingsPath: ${haCfg.monitorSettingsPath} has no ${k} in its [api] section`);
        return v;
    };
    const login = {
        authUrl: need("auth_url"),
        username: need("username"),
        projectName: need("project_name"),
        userDomainName: api.get("user_domain_name") ?? "Default",
        projectDomainName: api.get("project_domain_name") ?? "Default",
        region: api.get("region") ?? api.get("region_name") ?? "RegionOne",
    };
    const password = pulumi.secret(need("password"));
    const computeOf = new Map(computeHosts.map((c, i) => [withRole("compute")[i]!.name, c]));
    for (const seg of haCfg.segments) {
        const devices = config.fenceDevices.filter((d) => seg.hosts.includes(d.host));
        const caFiles = [...new Set(devices.map((d) => d.caCertPath).filter((p): p is string => !!p))];
        new HaSegment(`ha-${seg.name}`, {
            name: seg.name,
            recoveryMethod: seg.recoveryMethod,
            hosts: seg.hosts.map((n) => target(config.hosts.find((h) => h.name === n)!)),
            reservedHosts: seg.reservedHosts,
            fences: pulumi.secret(devices.map(({ timeoutSeconds: _t, ...d }) => JSON.parse(JSON.stringify(d)) as typeof d)),
            bmcCaPem: caFiles.length ? caFiles.map((f) => readSettings(f, "fenceDevices[].caCertPath")).join("\n") : undefined,
            login,
            password,
            tokenMs: haCfg.tokenMs,
            clusterInterface: haCfg.clusterInterface,
            hostMonitorIntervalSeconds: haCfg.hostMonitorIntervalSeconds,
            processCheckIntervalSeconds: haCfg.processCheckIntervalSeconds,
            processRestartRetries: haCfg.processRestartRetries,
            onMaintenance: Object.fromEntries(config.maintenance.map((m) => [m.host, m.maintenance])),
            after: Object.fromEntries(seg.hosts.map((n) => [n, computeOf.get(n) ? [computeOf.get(n)!] : []])),
        });
    }
}

settleMovesAfter(hostWork);

export const maintenance = maintenanceReports;
export const evacuations = evacuationReports;
export const serverIds = Object.fromEntries(config.servers.map((s, i) => [s.name, servers[i]!.instance.id]));
export const serverHosts = Object.fromEntries(config.servers.map((s, i) => [s.name, servers[i]!.host]));
export const hosts = config.hosts.map((h) => ({ name: h.name, address: h.address, roles: h.roles }));
export const libvirtTransport = config.libvirt.transport;
// null when absent, not undefined: the SDK warns about an undefined stack output on every run.
export const caCertificate = ca?.certPem ?? null;
export const glusterVolume = cluster?.volumeName ?? null;
