// Request bodies chosen by the cloud's maximum microversion (pure functions, every branch).
import { describe, expect, it } from "vitest";
import {
    compareMicroversions,
    createServerRequest,
    evacuateRequest,
    liveMigrateRequest,
    pickMicroversion,
    serviceUpdateRequest,
    UnsupportedError,
} from "../../lib/openstack";
import { authRequestBody } from "../../lib/openstack/keystone";

describe("microversions", () => {
    it("compare numerically per part", () => {
        expect(compareMicroversions("2.9", "2.30")).toBeLessThan(0);
        expect(compareMicroversions("2.93", "2.93")).toBe(0);
        expect(compareMicroversions("3.0", "2.93")).toBeGreaterThan(0);
        expect(pickMicroversion("2.60", ["2.80", "2.59", "2.23"])).toBe("2.59");
        expect(pickMicroversion("2.1", ["2.80", "2.59"])).toBeUndefined();
        expect(() => compareMicroversions("latest", "2.1")).toThrow(/not a microversion/);
    });
});

describe("os-migrateLive body, as openstacksdk's Server.live_migrate", () => {
    it("2.30+: host, block_migration (default auto), force only with a host", () => {
        expect(liveMigrateRequest("2.93", { host: "compute-2" })).toEqual({
            microversion: "2.30",
            body: { "os-migrateLive": { host: "compute-2", block_migration: "auto" } },
        });
        expect(liveMigrateRequest("2.30", { host: "c2", force: true, blockMigration: false })).toEqual({
            microversion: "2.30",
            body: { "os-migrateLive": { host: "c2", block_migration: false, force: true } },
        });
        expect(liveMigrateRequest("2.93", { host: null, force: true })).toEqual({
            microversion: "2.30",
            body: { "os-migrateLive": { host: null, block_migration: "auto" } },
        });
    });

    it("2.25–2.29: no force field; a named host needs force: true (it is implied)", () => {
        expect(liveMigrateRequest("2.29", {})).toEqual({ microversion: "2.25", body: { "os-migrateLive": { host: null, block_migration: "auto" } } });
        expect(liveMigrateRequest("2.25", { host: "c2", force: true, blockMigration: true })).toEqual({
            microversion: "2.25",
            body: { "os-migrateLive": { host: "c2", block_migration: true } },
        });
        expect(() => liveMigrateRequest("2.29", { host: "c2" })).toThrow(UnsupportedError);
        expect(() => liveMigrateRequest("2.29", { host: "c2" })).toThrow(/pass force: true/);
    });

    it("older: boolean block_migration and disk_over_commit false, no microversion header", () => {
        expect(liveMigrateRequest("2.24", { blockMigration: true })).toEqual({
            body: { "os-migrateLive": { host: null, block_migration: true, disk_over_commit: false } },
        });
        expect(liveMigrateRequest("2.1", { host: "c2", force: true })).toEqual({
            body: { "os-migrateLive": { host: "c2", block_migration: false, disk_over_commit: false } },
        });
        expect(() => liveMigrateRequest("2.1", { blockMigration: "auto" })).toThrow(/does not accept block_migration "auto"/);
    });
});

describe("evacuate body", () => {
    it("2.29+: host and force; no onSharedStorage", () => {
        expect(evacuateRequest("2.93", { host: "c3", onSharedStorage: true })).toEqual({ microversion: "2.29", body: { evacuate: { host: "c3" } } });
        expect(evacuateRequest("2.29", { host: "c3", force: true })).toEqual({ microversion: "2.29", body: { evacuate: { host: "c3", force: true } } });
        expect(evacuateRequest("2.93", {})).toEqual({ microversion: "2.29", body: { evacuate: {} } });
    });

    it("2.14–2.28: no onSharedStorage, a named host is forced", () => {
        expect(evacuateRequest("2.20", {})).toEqual({ microversion: "2.14", body: { evacuate: {} } });
        expect(evacuateRequest("2.14", { host: "c3", force: true })).toEqual({ microversion: "2.14", body: { evacuate: { host: "c3" } } });
        expect(() => evacuateRequest("2.20", { host: "c3" })).toThrow(/pass force: true/);
    });

    it("legacy: onSharedStorage always sent", () => {
        expect(evacuateRequest("2.13", {})).toEqual({ body: { evacuate: { onSharedStorage: false } } });
        expect(evacuateRequest("2.1", { host: "c3", force: true, onSharedStorage: true })).toEqual({
            body: { evacuate: { host: "c3", onSharedStorage: true } },
        });
    });
});

describe("server create body", () => {
    it("pins a host with 2.74 and networks none", () => {
        expect(createServerRequest("2.93", { name: "s", flavorRef: "1", imageRef: "img", host: "compute-1", networks: "none" })).toEqual({
            microversion: "2.74",
            body: { server: { name: "s", flavorRef: "1", imageRef: "img", host: "compute-1", networks: "none" } },
        });
    });

    it("falls back to the forced nova:HOST zone before 2.74, and refuses networks before 2.37", () => {
        expect(createServerRequest("2.50", { name: "s", flavorRef: "1", host: "c1", networks: "auto" })).toEqual({
            microversion: "2.37",
            body: { server: { name: "s", flavorRef: "1", availability_zone: "nova:c1", networks: "auto" } },
        });
        expect(() => createServerRequest("2.36", { name: "s", flavorRef: "1", networks: "none" })).toThrow(/needs compute microversion 2.37/);
    });

    it("boots from a volume with block_device_mapping_v2 and no imageRef", () => {
        const bdm = [{ boot_index: 0, uuid: "vol", source_type: "volume" as const, destination_type: "volume" as const }];
        expect(createServerRequest("2.93", { name: "s", flavorRef: "1", blockDeviceMapping: bdm }).body).toEqual({
            server: { name: "s", flavorRef: "1", block_device_mapping_v2: bdm },
        });
    });
});

describe("compute service update body", () => {
    it("2.53 by id, snake_case fields", () => {
        expect(serviceUpdateRequest("2.93", { status: "disabled", disabledReason: "maintenance", forcedDown: true })).toEqual({
            microversion: "2.53",
            body: { status: "disabled", disabled_reason: "maintenance", forced_down: true },
        });
        expect(serviceUpdateRequest("2.53", { forcedDown: false }).body).toEqual({ forced_down: false });
    });

    it("refuses what Nova would refuse, before asking it", () => {
        expect(() => serviceUpdateRequest("2.52", { status: "enabled" })).toThrow(/needs compute microversion 2.53/);
        expect(() => serviceUpdateRequest("2.93", { status: "enabled", disabledReason: "x" })).toThrow(/only be set together with status "disabled"/);
        expect(() => serviceUpdateRequest("2.93", {})).toThrow(/needs status, disabledReason or forcedDown/);
    });
});

describe("keystone auth body", () => {
    const auth = { authUrl: "http://k/v3" };
    it("password with project scope by name and domain", () => {
        expect(
            authRequestBody({
                name: "c",
                source: "s",
                interface: "public",
                authType: "password",
                auth: { ...auth, username: "u", password: "p", userDomainName: "Default", projectName: "admin", projectDomainId: "default" },
            }),
        ).toEqual({
            auth: {
                identity: { methods: ["password"], password: { user: { name: "u", password: "p", domain: { name: "Default" } } } },
                scope: { project: { name: "admin", domain: { id: "default" } } },
            },
        });
    });

    it("application credential: by id, unscoped (Keystone binds it to its project)", () => {
        expect(
            authRequestBody({
                name: "c",
                source: "s",
                interface: "public",
                authType: "v3applicationcredential",
                auth: { ...auth, applicationCredentialId: "id1", applicationCredentialSecret: "sec" },
            }),
        ).toEqual({ auth: { identity: { methods: ["application_credential"], application_credential: { id: "id1", secret: "sec" } } } });
    });
});
