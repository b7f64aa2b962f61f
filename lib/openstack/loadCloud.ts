// Picks the credentials like openstackclient: a named cloud (argument or OS_CLOUD) from clouds.yaml,
// otherwise the OS_* variables. Every failure names what is missing and where it looked.
import { missingCredentials, normalizeInterface, type CloudConfig } from "./cloudConfig";
import { cloudsYamlCandidates, readCloudFromYaml, secureYamlCandidates, yamlKeyOf } from "./cloudsYaml";
import { cloudFromEnv, envVarOf, hasAuthEnv } from "./envCloud";
import { CloudConfigError } from "./errors";

export interface LoadCloudOptions {
    /** Cloud name in clouds.yaml; default $OS_CLOUD; neither (or "envvars") means the OS_* variables. */
    cloud?: string;
    /** Region to use; default $OS_REGION_NAME, then the cloud's region_name, then its first `regions` entry. */
    region?: string;
    /** The environment to read; default process.env. */
    env?: Record<string, string | undefined>;
    /** Directory searched first for clouds.yaml; default process.cwd(). */
    cwd?: string;
    /** Home directory for ~/.config/openstack; default $HOME, then the OS's idea of it. */
    home?: string;
    /** Replaces the whole clouds.yaml search list (secure.yaml is then not read); default openstackclient's order. */
    configFiles?: string[];
}

export function loadCloud(opts: LoadCloudOptions = {}): CloudConfig {
    const env = opts.env ?? process.env;
    const os = require("node:os") as typeof import("node:os");
    const home = opts.home ?? (env.HOME || os.homedir());
    const cwd = opts.cwd ?? process.cwd();
    const candidates = opts.configFiles ?? cloudsYamlCandidates(env, cwd, home);
    const name = opts.cloud || env.OS_CLOUD || undefined;

    let config: CloudConfig;
    let describe: (f: Parameters<typeof yamlKeyOf>[0]) => string;
    let regions: string[] = [];
    if (name !== undefined && name !== "envvars") {
        const found = readCloudFromYaml(name, env, candidates, opts.configFiles ? [] : secureYamlCandidates(env, cwd, home));
        config = found.config;
        regions = found.regions;
        describe = yamlKeyOf;
        // openstackclient's --os-region-name and --os-interface default to these variables, so they
        // override clouds.yaml there too; doing the same keeps `openstack …` and this client in agreement.
        if (env.OS_REGION_NAME) config.regionName = env.OS_REGION_NAME;
        if (env.OS_INTERFACE) config.interface = normalizeInterface(env.OS_INTERFACE, "OS_INTERFACE");
    } else {
        if (!hasAuthEnv(env)) {
            throw new CloudConfigError(
                "no OpenStack cloud selected: pass a cloud name or set OS_CLOUD (clouds.yaml is looked for in " +
                    `${candidates.join(", ")}), or set OS_AUTH_URL with OS_USERNAME/OS_PASSWORD/OS_PROJECT_NAME ` +
                    "(or OS_AUTH_TYPE=v3applicationcredential with OS_APPLICATION_CREDENTIAL_ID/SECRET)",
            );
        }
        config = cloudFromEnv(env);
        describe = envVarOf;
    }

    if (opts.region) {
        if (regions.length > 0 && !regions.includes(opts.region)) {
            throw new CloudConfigError(
                `region "${opts.region}" is not one of cloud ${config.name}'s regions in ${config.source}: ${regions.join(", ")}`,
            );
        }
        config = { ...config, regionName: opts.region };
    }

    const missing = missingCredentials(config, describe);
    if (missing.length > 0) {
        const where = config.name === "envvars" ? config.source : `cloud "${config.name}" in ${config.source}`;
        throw new CloudConfigError(`${where} is incomplete (auth type ${config.authType}): missing ${missing.join("; ")}`);
    }
    return config;
}
