// lib/openstack against the lab's real control plane (Keystone, Nova with fake-driver computes, Cinder):
// authentication, token reuse and re-authentication, live migration (named host, scheduler, force-complete,
// abort, rollback, timeout), compute service maintenance, host failure and evacuation.
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    CinderClient,
    evacuateAndWait,
    GlanceClient,
    liveMigrateAndWait,
    loadCloud,
    MigrationFailedError,
    NovaClient,
    OpenStackSession,
    serverHost,
    waitFor,
    waitForMigration,
    waitForServerGone,
    waitForServerStatus,
    waitForVolumeGone,
    waitForVolumeStatus,
    WaitTimeoutError,
    type Migration,
} from "../../lib/openstack";
import { notSchedulable, waitSchedulable } from "../../lib/moves/service";
import { COMPUTE_STATUS_DISABLED, PlacementClient } from "../../lib/openstack/placement";
import { repoRoot } from "../support/env";

const run = promisify(execFile);
const labOpenstack = (...args: string[]) => run(path.join(repoRoot, "lab/lab"), ["openstack", ...args], { maxBuffer: 16 << 20 });

const PREFIX = `oslib-test-${process.pid}`;
const servers: string[] = [];
const volumes: string[] = [];
let session: OpenStackSession;
let nova: NovaClient;
let imageRef = "";
let flavorRef = "";

async function boot(name: string, host: string): Promise<string> {
    const { id } = await nova.createServer({ name: `${PREFIX}-${name}`, flavorRef, imageRef, host, networks: "none", availabilityZone: "fake" });
    servers.push(id);
    const s = await waitForServerStatus(nova, id, { status: "ACTIVE", timeoutMs: 120_000 });
    expect(serverHost(s)).toBe(host);
    return id;
}

async function hostOf(id: string): Promise<string | undefined> {
    const s = await nova.getServer(id);
    return s ? serverHost(s) : undefined;
}

/** The server's newest record of one type, as /os-migrations shows it. */
async function newest(id: string, type: string): Promise<Migration | undefined> {
    return (await nova.listMigrations({ instanceUuid: id, migrationType: type })).sort((a, b) => b.id - a.id)[0];
}

/** Starts a live migration and waits until Nova reports it `running` (the fake driver then waits ~5 s). */
async function startRunningMigration(id: string, host: string): Promise<number> {
    await nova.liveMigrate(id, { host });
    const running = await waitFor(
        `a running live migration of ${id}`,
        () => nova.listServerMigrations(id),
        (ms) => ms.some((m) => m.status === "running"),
        { timeoutMs: 30_000, intervalMs: 200, maxIntervalMs: 500 },
    );
    return running.find((m) => m.status === "running")!.id;
}

async function computeService(host: string) {
    const [svc] = await nova.listComputeServices({ host });
    if (!svc) throw new Error(`no nova-compute service on ${host}`);
    return svc;
}

beforeAll(async () => {
    // Idempotent: a no-op when healthy, restores what is missing (including the 10.77.0.1 bridge address).
    await labOpenstack("up");
    session = new OpenStackSession(loadCloud({ cloud: "livemig-lab" }));
    nova = new NovaClient(session);
    imageRef = (await new GlanceClient(session).findImage("cirros-like-raw"))!.id;
    flavorRef = (await nova.findFlavor("m1.tiny"))!.id;
}, 15 * 60_000);

afterAll(async () => {
    // Leave the lab as we found it: fake-3 running and not forced down, every compute enabled, our
    // servers and volumes gone.
    const problems: string[] = [];
    const attempt = async (what: string, f: () => Promise<unknown>) => {
        try {
            await f();
        } catch (err) {
            problems.push(`${what}: ${(err as Error).message}`);
        }
    };
    await attempt("start fake-3", () => labOpenstack("start", "nova-compute@fake-3"));
    for (const host of ["fake-1", "fake-2", "fake-3"]) {
        await attempt(`restore ${host}`, async () => {
            const svc = await computeService(host);
            if (svc.status !== "enabled") await nova.updateComputeService(String(svc.id), { status: "enabled" });
            if (svc.forced_down) {
                // Refused (400) until the evacuations off this host are `completed`: retry, bounded.
                await waitFor(`un-forcing ${host}`, () => nova.updateComputeService(String(svc.id), { forcedDown: false }).then(() => true, () => false), (ok) => ok, {
                    timeoutMs: 120_000,
                });
            }
        });
    }
    for (const id of servers) await attempt(`delete server ${id}`, () => nova.deleteServer(id));
    for (const id of servers) await attempt(`server ${id} gone`, () => waitForServerGone(nova, id, { timeoutMs: 120_000 }));
    const cinder = new CinderClient(session);
    for (const id of volumes) await attempt(`delete volume ${id}`, () => cinder.deleteVolume(id).then(() => waitForVolumeGone(cinder, id, { timeoutMs: 120_000 })));
    if (problems.length > 0) throw new Error(`clean-up failed:\n${problems.join("\n")}`);
}, 10 * 60_000);

describe("authentication", () => {
    it("password credentials from clouds.yaml, one token for many calls", async () => {
        const s = new OpenStackSession(loadCloud({ cloud: "livemig-lab" }));
        const n = new NovaClient(s);
        expect(await n.maxMicroversion()).toBe("2.93");
        const hosts = (await n.listComputeServices()).map((x) => x.host).sort();
        expect(hosts).toEqual(expect.arrayContaining(["fake-1", "fake-2", "fake-3"]));
        for (let i = 0; i < 10; i++) await n.listHypervisors();
        await Promise.all([1, 2, 3, 4, 5].map(() => n.getServer("00000000-0000-0000-0000-000000000000")));
        expect(s.stats).toEqual({ requests: 17, authentications: 1 });
    });

    it("application credential from clouds.yaml", async () => {
        const s = new OpenStackSession(loadCloud({ cloud: "livemig-lab-appcred" }));
        const services = await new NovaClient(s).listComputeServices();
        // The lab's own fake computes; real ones are there too once a stack configured them.
        expect(services.map((x) => x.host)).toEqual(expect.arrayContaining(["fake-1", "fake-2", "fake-3"]));
        expect(await s.projectId()).toBe(await session.projectId());
        expect(s.stats.authentications).toBe(1);
    });

    it("re-authenticates exactly once after its token is revoked", async () => {
        const cloud = loadCloud({ cloud: "livemig-lab" });
        const victim = new OpenStackSession(cloud);
        await victim.request("identity", "GET", "/auth/projects");
        const admin = new OpenStackSession(cloud);
        await admin.request("identity", "DELETE", "/auth/tokens", { headers: { "X-Subject-Token": await victim.getToken() }, okStatus: [204] });
        // Keystone checks revocations itself; Nova's keystonemiddleware would keep accepting the
        // revoked token from its validation cache for a while, so the 401 is provoked at Keystone.
        const r = await victim.request<{ projects: unknown[] }>("identity", "GET", "/auth/projects");
        expect(r.body.projects.length).toBeGreaterThan(0);
        expect(victim.stats).toEqual({ requests: 3, authentications: 2 });
        await victim.request("identity", "GET", "/auth/projects");
        expect(victim.stats.authentications).toBe(2);
    });
});

describe("live migration", () => {
    let id = "";

    beforeAll(async () => {
        id = await boot("live", "fake-1");
    }, 5 * 60_000);

    it("to a named host: the migration record completes and the host changes", async () => {
        const before = session.stats.requests;
        const r = await liveMigrateAndWait(nova, id, { host: "fake-2", timeoutMs: 120_000, onTimeout: "abort" });
        console.log(`live migration fake-1 → fake-2: ${r.durationMs} ms, ${session.stats.requests - before} API requests`);
        expect(r).toMatchObject({ source: "fake-1", destination: "fake-2" });
        expect(r.migrationId).toBeGreaterThan(0);
        expect(await hostOf(id)).toBe("fake-2");
        expect(await newest(id, "live-migration")).toMatchObject({ id: r.migrationId, status: "completed", source_compute: "fake-1", dest_compute: "fake-2" });
    });

    it("with host null: the scheduler picks another host", async () => {
        const r = await liveMigrateAndWait(nova, id, { host: null, timeoutMs: 120_000, onTimeout: "abort" });
        expect(r.source).toBe("fake-2");
        expect(["fake-1", "fake-3"]).toContain(r.destination);
        expect(await hostOf(id)).toBe(r.destination);
        expect(await newest(id, "live-migration")).toMatchObject({ id: r.migrationId, status: "completed", dest_compute: r.destination });
    });

    it("does nothing when the server is already on the requested host", async () => {
        const here = (await hostOf(id))!;
        expect(await liveMigrateAndWait(nova, id, { host: here, timeoutMs: 10_000, onTimeout: "abort" })).toMatchObject({ migrationId: 0, destination: here });
    });

    it("force-complete finishes a running migration early", async () => {
        const from = (await hostOf(id))!;
        const to = from === "fake-1" ? "fake-2" : "fake-1";
        const migrationId = await startRunningMigration(id, to);
        await nova.forceCompleteMigration(id, migrationId);
        const m = await waitForMigration(nova, { instanceUuid: id, migrationId, statuses: ["completed"], timeoutMs: 60_000 });
        expect(m.status).toBe("completed");
        await waitForServerStatus(nova, id, { status: "ACTIVE", timeoutMs: 60_000 });
        expect(await hostOf(id)).toBe(to);
    });

    it("abort cancels a running migration: the server stays ACTIVE on its source", async () => {
        const from = (await hostOf(id))!;
        const to = from === "fake-1" ? "fake-2" : "fake-1";
        const migrationId = await startRunningMigration(id, to);
        await nova.abortMigration(id, migrationId);
        await waitForMigration(nova, { instanceUuid: id, migrationId, statuses: ["cancelled"], timeoutMs: 60_000 });
        await waitForServerStatus(nova, id, { status: "ACTIVE", timeoutMs: 60_000 });
        expect(await hostOf(id)).toBe(from);
    });

    it("a migration rolled back under it is a MigrationFailedError that says where the server is", async () => {
        const from = (await hostOf(id))!;
        const to = from === "fake-1" ? "fake-2" : "fake-1";
        const moving = liveMigrateAndWait(nova, id, { host: to, timeoutMs: 120_000, onTimeout: "none", intervalMs: 500 }).catch((e) => e);
        // Someone else aborts it while we wait.
        const running = await waitFor("running", () => nova.listServerMigrations(id), (ms) => ms.some((m) => m.status === "running"), {
            timeoutMs: 30_000,
            intervalMs: 200,
        });
        await nova.abortMigration(id, running[0]!.id);
        const err = await moving;
        expect(err).toBeInstanceOf(MigrationFailedError);
        expect(err).toMatchObject({ status: "cancelled", source: from, destination: to, serverHost: from, serverStatus: "ACTIVE" });
        expect(err.message).toContain(`ended with status cancelled; the server is ACTIVE on ${from}`);
    });

    it("on timeout, onTimeout abort cancels it and reports the server back on its source", async () => {
        const from = (await hostOf(id))!;
        const to = from === "fake-1" ? "fake-2" : "fake-1";
        const err = await liveMigrateAndWait(nova, id, { host: to, timeoutMs: 1500, onTimeout: "abort" }).catch((e) => e);
        expect(err).toBeInstanceOf(WaitTimeoutError);
        expect(err.message).toMatch(new RegExp(`Aborted migration \\d+: it ended cancelled, the server is ACTIVE on ${from}$`));
        expect(await hostOf(id)).toBe(from);
    });

    it("on timeout, onTimeout force-complete finishes the move", async () => {
        const from = (await hostOf(id))!;
        const to = from === "fake-1" ? "fake-2" : "fake-1";
        const r = await liveMigrateAndWait(nova, id, { host: to, timeoutMs: 1500, onTimeout: "force-complete" });
        expect(r).toMatchObject({ source: from, destination: to, forceCompleted: true });
        expect(await hostOf(id)).toBe(to);
    });

    it("a wait that cannot succeed times out with WaitTimeoutError and the last state", async () => {
        const err = await waitForServerStatus(nova, id, { status: "SHUTOFF", timeoutMs: 2000 }).catch((e) => e);
        expect(err).toBeInstanceOf(WaitTimeoutError);
        expect(err.message).toMatch(/^Timed out after 2 s waiting for server .* to become SHUTOFF; last observed: ACTIVE on fake-\d$/);
    });
});

describe("compute services", () => {
    it("disables a host with a reason and enables it again", async () => {
        const svc = await computeService("fake-2");
        const off = await nova.updateComputeService(String(svc.id), { status: "disabled", disabledReason: `${PREFIX} maintenance` });
        expect(off).toMatchObject({ status: "disabled", disabled_reason: `${PREFIX} maintenance` });
        expect(await computeService("fake-2")).toMatchObject({ status: "disabled", disabled_reason: `${PREFIX} maintenance` });
        const on = await nova.updateComputeService(String(svc.id), { status: "enabled" });
        expect(on).toMatchObject({ status: "enabled", disabled_reason: null });
    });

    it("calls a host schedulable only when Nova and Placement both would let the scheduler pick it", async () => {
        const placement = new PlacementClient(session);
        const traits = async () => {
            const [h] = (await nova.listHypervisors({ hostnamePattern: "fake-2" })).filter((x) => x.service?.host === "fake-2");
            return placement.providerTraits(String(h!.id));
        };
        const svc = await computeService("fake-2");
        expect(await notSchedulable(nova, placement, "fake-2")).toBeUndefined();
        expect(await traits()).not.toContain(COMPUTE_STATUS_DISABLED);
        await nova.updateComputeService(String(svc.id), { status: "disabled", disabledReason: `${PREFIX} schedulable` });
        try {
            expect(await notSchedulable(nova, placement, "fake-2")).toMatch(/^nova-compute on fake-2 is up, disabled \(oslib-test-\d+ schedulable\)$/);
            // The compute marks its resource provider for the scheduler's pre-filter.
            await waitFor("the disabled trait", traits, (t) => t.includes(COMPUTE_STATUS_DISABLED), { timeoutMs: 120_000 });
        } finally {
            await nova.updateComputeService(String(svc.id), { status: "enabled" });
        }
        await waitSchedulable(nova, placement, "fake-2", 120_000);
        expect(await traits()).not.toContain(COMPUTE_STATUS_DISABLED);
        // A name the hypervisors API does not know is said, not taken for schedulable.
        await expect(notSchedulable(nova, placement, "fake-404")).rejects.toThrow(/no nova-compute service on host fake-404/);
    });
});

describe("host failure and evacuation", () => {
    let victim = "";
    let bystander = "";

    beforeAll(async () => {
        victim = await boot("evac", "fake-3");
        bystander = await boot("stay", "fake-1");
    }, 5 * 60_000);

    it("evacuates a server off a stopped, forced-down host, then brings the host back", async () => {
        await labOpenstack("stop", "nova-compute@fake-3");
        const svc = await computeService("fake-3");
        // A stopped compute still looks `up` until its heartbeat ages out (60 s): fencing = forcing it down.
        const down = await nova.updateComputeService(String(svc.id), { forcedDown: true });
        expect(down).toMatchObject({ forced_down: true });
        expect((await computeService("fake-3")).state).toBe("down");

        // A live migration to the dead host is refused, and nothing moves.
        const err = await liveMigrateAndWait(nova, bystander, { host: "fake-3", timeoutMs: 60_000, onTimeout: "abort" }).catch((e) => e);
        expect(err).toBeInstanceOf(MigrationFailedError);
        // Nova's scheduler says only "No valid host was found"; the client adds the host's service state.
        expect(err.message).toMatch(
            /live-migration .*from fake-1 to fake-3 was rejected by Nova: .*\(nova-compute on fake-3 is down \(forced down\)\); the server is ACTIVE on fake-1$/,
        );
        expect(await hostOf(bystander)).toBe("fake-1");

        const before = session.stats.requests;
        const r = await evacuateAndWait(nova, victim, { timeoutMs: 120_000 });
        console.log(`evacuation off fake-3 → ${r.destination}: ${r.durationMs} ms, ${session.stats.requests - before} API requests`);
        expect(r.source).toBe("fake-3");
        expect(["fake-1", "fake-2"]).toContain(r.destination);
        const s = (await nova.getServer(victim))!;
        expect(s.status).toBe("ACTIVE");
        expect(serverHost(s)).toBe(r.destination);
        expect((await newest(victim, "evacuation"))?.status).toMatch(/^(done|completed)$/);

        await labOpenstack("start", "nova-compute@fake-3");
        // The restarted compute cleans up and marks the evacuation `completed`; Nova refuses to un-force
        // the host (400) before that.
        await waitForMigration(nova, { instanceUuid: victim, migrationId: r.migrationId, statuses: ["completed"], timeoutMs: 120_000 });
        const up = await nova.updateComputeService(String(svc.id), { forcedDown: false });
        expect(up.forced_down).toBe(false);
        await waitFor("fake-3 up", () => computeService("fake-3"), (x) => x.state === "up", { timeoutMs: 120_000 });
    });
});

describe("cinder", () => {
    it("creates a volume, marks it bootable, deletes it", async () => {
        const cinder = new CinderClient(session);
        const v = await cinder.createVolume({ name: `${PREFIX}-vol`, size: 1 });
        volumes.push(v.id);
        await waitForVolumeStatus(cinder, v.id, { status: "available", timeoutMs: 120_000 });
        await cinder.setBootable(v.id, true);
        expect((await cinder.getVolume(v.id))?.bootable).toBe("true");
        expect(await cinder.deleteVolume(v.id)).toBe(true);
        await waitForVolumeGone(cinder, v.id, { timeoutMs: 120_000 });
        expect(await cinder.getVolume(v.id)).toBeUndefined();
    });
});
