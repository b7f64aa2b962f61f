// loadCloud: clouds.yaml discovery and OS_* variables, with real temp files and plain env objects.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CloudConfigError, cloudsYamlCandidates, loadCloud } from "../../lib/openstack";

const root = mkdtempSync(path.join(tmpdir(), "livemig-clouds-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function dir(): string {
    const d = path.join(root, `case-${n++}`);
    mkdirSync(d, { recursive: true });
    return d;
}

const CLOUDS = `
clouds:
  lab:
    auth_type: password
    auth:
      auth_url: http://keystone.example:5000/v3
      username: admin
      password: s3cret-pw
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: internal
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth-url: http://keystone.example:5000
      application_credential_id: "abc123"
      application_credential_secret: very-secret
  multi:
    auth:
      auth_url: http://k:5000
      username: u
      user_domain_id: default
      password: p
      project_id: p1
    regions: [East, West]
  broken:
    auth:
      username: u
      password: hunter2
`;

describe("loadCloud from clouds.yaml", () => {
    it("reads a password cloud named by OS_CLOUD from OS_CLIENT_CONFIG_FILE", () => {
        const d = dir();
        writeFileSync(path.join(d, "my-clouds.yaml"), CLOUDS);
        const c = loadCloud({ env: { OS_CLOUD: "lab", OS_CLIENT_CONFIG_FILE: path.join(d, "my-clouds.yaml") }, cwd: d, home: d });
        expect(c).toMatchObject({
            name: "lab",
            authType: "password",
            regionName: "RegionOne",
            interface: "internal",
            source: path.join(d, "my-clouds.yaml"),
            auth: { authUrl: "http://keystone.example:5000/v3", username: "admin", projectName: "admin", userDomainName: "Default" },
        });
    });

    it("reads an application credential cloud (dashed keys accepted), argument beats OS_CLOUD", () => {
        const d = dir();
        writeFileSync(path.join(d, "clouds.yaml"), CLOUDS);
        const c = loadCloud({ cloud: "appcred", env: { OS_CLOUD: "lab" }, cwd: d, home: d });
        expect(c.authType).toBe("v3applicationcredential");
        expect(c.auth).toMatchObject({ authUrl: "http://keystone.example:5000", applicationCredentialId: "abc123" });
        expect(c.interface).toBe("public");
    });

    it("searches ./ before $XDG_CONFIG_HOME/openstack before ~/.config/openstack before /etc/openstack", () => {
        const c = cloudsYamlCandidates({ XDG_CONFIG_HOME: "/x" }, "/cwd", "/home/u").filter((f) => f.endsWith(".yaml"));
        expect(c).toEqual(["/cwd/clouds.yaml", "/x/openstack/clouds.yaml", "/home/u/.config/openstack/clouds.yaml", "/etc/openstack/clouds.yaml"]);
        expect(cloudsYamlCandidates({ OS_CLIENT_CONFIG_FILE: "/f.yaml" }, "/cwd", "/h")[0]).toBe("/f.yaml");
        expect(cloudsYamlCandidates({}, "/cwd", "/h")).toContain("/h/.config/openstack/clouds.yaml");
    });

    it("finds clouds.yaml under XDG_CONFIG_HOME, and secure.yaml supplies the secret", () => {
        const d = dir();
        mkdirSync(path.join(d, "xdg/openstack"), { recursive: true });
        writeFileSync(path.join(d, "xdg/openstack/clouds.yaml"), "clouds:\n  s:\n    auth:\n      auth_url: http://k/v3\n      username: u\n      user_domain_name: D\n      project_name: p\n      project_domain_name: D\n");
        writeFileSync(path.join(d, "xdg/openstack/secure.yaml"), "clouds:\n  s:\n    auth:\n      password: from-secure\n");
        const c = loadCloud({ cloud: "s", env: { XDG_CONFIG_HOME: path.join(d, "xdg") }, cwd: path.join(d, "empty"), home: d });
        expect(c.source).toBe(path.join(d, "xdg/openstack/clouds.yaml"));
        expect(c.auth.password).toBe("from-secure");
    });

    it("region: argument and OS_REGION_NAME override; a `regions` list is enforced", () => {
        const d = dir();
        writeFileSync(path.join(d, "clouds.yaml"), CLOUDS);
        expect(loadCloud({ cloud: "multi", env: {}, cwd: d, home: d }).regionName).toBe("East");
        expect(loadCloud({ cloud: "multi", env: { OS_REGION_NAME: "West" }, cwd: d, home: d }).regionName).toBe("West");
        expect(loadCloud({ cloud: "multi", region: "West", env: {}, cwd: d, home: d }).regionName).toBe("West");
        expect(() => loadCloud({ cloud: "multi", region: "North", env: {}, cwd: d, home: d })).toThrow(/region "North" is not one of .*East, West/);
    });

    it("names the places it looked in when no clouds.yaml exists", () => {
        const d = dir();
        const files = [path.join(d, "a.yaml"), path.join(d, "b.yaml")];
        expect(() => loadCloud({ cloud: "lab", env: {}, configFiles: files })).toThrow(CloudConfigError);
        expect(() => loadCloud({ cloud: "lab", env: {}, configFiles: files })).toThrow(`looked in: ${files.join(", ")}`);
    });

    it("lists the defined clouds when the named one is missing", () => {
        const d = dir();
        writeFileSync(path.join(d, "clouds.yaml"), CLOUDS);
        expect(() => loadCloud({ cloud: "nope", env: {}, configFiles: [path.join(d, "clouds.yaml")] })).toThrow(
            /cloud "nope" is not defined in .*clouds\.yaml \(it defines: lab, appcred, multi, broken\)/,
        );
    });

    it("lists every missing field of an incomplete cloud, and never the password", () => {
        const d = dir();
        writeFileSync(path.join(d, "clouds.yaml"), CLOUDS);
        let err: unknown;
        try {
            loadCloud({ cloud: "broken", env: {}, configFiles: [path.join(d, "clouds.yaml")] });
        } catch (e) {
            err = e;
        }
        expect(err).toBeInstanceOf(CloudConfigError);
        const msg = (err as Error).message;
        expect(msg).toContain('cloud "broken"');
        expect(msg).toContain("auth.auth_url");
        expect(msg).toContain("auth.user_domain_name or auth.user_domain_id");
        expect(msg).toContain("auth.project_name or auth.project_id");
        expect(msg).not.toContain("hunter2");
    });

    it("reports broken YAML by line, without quoting it (it may hold a password)", () => {
        const d = dir();
        writeFileSync(path.join(d, "clouds.yaml"), "clouds:\n  x:\n    auth: {password: 'oops\n");
        expect(() => loadCloud({ cloud: "x", env: {}, configFiles: [path.join(d, "clouds.yaml")] })).toThrow(/is not valid YAML/);
        try {
            loadCloud({ cloud: "x", env: {}, configFiles: [path.join(d, "clouds.yaml")] });
        } catch (e) {
            expect((e as Error).message).not.toContain("oops");
        }
    });
});

describe("loadCloud from OS_* variables", () => {
    const base = {
        OS_AUTH_URL: "http://k:5000/v3",
        OS_USERNAME: "admin",
        OS_PASSWORD: "pw",
        OS_PROJECT_NAME: "admin",
        OS_USER_DOMAIN_NAME: "Default",
        OS_PROJECT_DOMAIN_ID: "default",
    };

    it("builds a password cloud", () => {
        const c = loadCloud({ env: { ...base, OS_REGION_NAME: "R1", OS_INTERFACE: "internalURL" }, configFiles: [] });
        expect(c).toMatchObject({ name: "envvars", authType: "password", regionName: "R1", interface: "internal" });
        expect(c.auth).toMatchObject({ authUrl: "http://k:5000/v3", username: "admin", password: "pw", projectDomainId: "default" });
    });

    it("builds an application credential cloud by id, or by name with its user", () => {
        const byId = loadCloud({
            env: { OS_AUTH_URL: "http://k", OS_AUTH_TYPE: "v3applicationcredential", OS_APPLICATION_CREDENTIAL_ID: "i", OS_APPLICATION_CREDENTIAL_SECRET: "s" },
        });
        expect(byId.authType).toBe("v3applicationcredential");
        const byName = loadCloud({
            env: {
                OS_AUTH_URL: "http://k",
                OS_APPLICATION_CREDENTIAL_NAME: "n",
                OS_APPLICATION_CREDENTIAL_SECRET: "s",
                OS_USERNAME: "u",
                OS_USER_DOMAIN_NAME: "Default",
            },
        });
        // No OS_AUTH_TYPE, but a secret and no password: an application credential.
        expect(byName.authType).toBe("v3applicationcredential");
        expect(byName.auth.applicationCredentialName).toBe("n");
    });

    it("names the missing variables, and never their values", () => {
        expect(() => loadCloud({ env: { OS_USERNAME: "admin", OS_PASSWORD: "pw-value" } })).toThrow(
            /OS_\* environment variables is incomplete .*OS_AUTH_URL.*OS_USER_DOMAIN_NAME or OS_USER_DOMAIN_ID.*OS_PROJECT_NAME or OS_PROJECT_ID/,
        );
        expect(() => loadCloud({ env: { OS_AUTH_URL: "http://k", OS_AUTH_TYPE: "v3applicationcredential" } })).toThrow(
            /OS_APPLICATION_CREDENTIAL_SECRET; OS_APPLICATION_CREDENTIAL_ID or OS_APPLICATION_CREDENTIAL_NAME/,
        );
        try {
            loadCloud({ env: { OS_USERNAME: "admin", OS_PASSWORD: "pw-value" } });
        } catch (e) {
            expect((e as Error).message).not.toContain("pw-value");
        }
    });

    it("says how to configure when nothing is configured", () => {
        expect(() => loadCloud({ env: {}, configFiles: ["/nonexistent/clouds.yaml"] })).toThrow(
            /no OpenStack cloud selected: pass a cloud name or set OS_CLOUD \(clouds.yaml is looked for in \/nonexistent\/clouds.yaml\), or set OS_AUTH_URL/,
        );
    });

    it("refuses auth types it does not implement, by name", () => {
        expect(() => loadCloud({ env: { ...base, OS_AUTH_TYPE: "v3oidcpassword" } })).toThrow(/auth_type "v3oidcpassword" is not supported/);
    });
});
