// Placement: where a server should run (a host, or any host but some), kept true by live migration.
// read() reports where the server really is, so a server moved by hand shows up in
// `pulumi preview --refresh` as a planned move back; create/update return only once Nova confirmed the move.
import { isDeepStrictEqual } from "node:util";
import * as pulumi from "./sdk";
import { blockedMove, describePlacement, ensurePlacement, satisfies, type MoveSettings, type Placement } from "../lib/moves/placement";
import { serverHost } from "../lib/openstack/novaTypes";
import { preflight } from "../lib/moves/preflight";
import type { SshTarget } from "../lib/ssh/exec";
import { mustHave, openstackClients, type OpenStackClients } from "./openstackClients";
import { optionalSshCredentials, type ProviderSshCredentials } from "./sshCredentials";
import { LazyResource, lazyProvider, methodsOf } from "./lazy";
import { partialFailure } from "./partialFailure";

export interface Move {
    migrationId: number;
    source: string;
    destination: string;
    durationMs: number;
}

/** Where the real computes are, for pre-flight checks over SSH; computes not listed are not checked. */
export interface PreflightSettings {
    hosts: Record<string, SshTarget>;
    transport: "tls" | "tcp";
    instancesPath: string;
    /** Computes that mount the shared instance store. */
    sharedStore: string[];
    permitPostCopy: boolean;
    /** nova.conf on the computes. */
    novaConf?: string;
    /** The stack's Ceph client: who has it, the user, the volumes pool, and the computes with RBD instance disks. */
    ceph?: { user: string; volumesPool: string; clients: string[]; disks?: { pool: string; computes: string[] } };
    /**
     * Hosts the stack declares failed (its evacuations): their servers are rebuilt elsewhere, not
     * live-migrated, and the dead source cannot be asked anything, so their moves are not pre-flighted.
     */
    failedHosts: string[];
}

/** The pre-flight settings that bear on a placement's moves (a change of failed hosts does not). */
const movesPreflight = (p?: PreflightSettings) => p && { ...p, failedHosts: undefined };

export interface PlacementInputs extends Placement, MoveSettings {
    serverId: string;
    serverName: string;
    preflight?: PreflightSettings;
}

export interface PlacementOutputs extends PlacementInputs {
    /** Where the server is (after the last update or refresh). */
    currentHost: string;
    /** The last live migration this resource made, if any. */
    lastMove?: Move;
}

export class PlacementProvider implements pulumi.dynamic.ResourceProvider<PlacementInputs, PlacementOutputs> {
    private clients?: OpenStackClients;
    private ssh?: ProviderSshCredentials;

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.clients = openstackClients(req.config);
        this.ssh = optionalSshCredentials(req.config);
    }

    /**
     * Pre-flight, in preview and before every update: when a move is planned between computes the stack
     * knows, check what Nova would only discover at migration time. A failure fails the preview, naming
     * the hosts and the reason, and the move is never attempted.
     */
    async check(olds: PlacementInputs, news: PlacementInputs): Promise<pulumi.dynamic.CheckResult<PlacementInputs>> {
        // An unknown server id (not created yet) means no move to check.
        if (!/^[0-9a-f-]{36}$/.test(news.serverId)) return { inputs: news };
        // Inputs as stored by the last update, and no refresh found the server elsewhere (read() then stores
        // the host it runs on as the input): nothing is planned, so there is nothing to ask Nova or to
        // pre-flight. This keeps a no-change `up` or preview of many servers off Nova's API.
        if (isDeepStrictEqual(olds, news)) return { inputs: news };
        const { nova } = mustHave(this.clients, "Placement");
        const server = await nova.getServer(news.serverId);
        const source = server && serverHost(server);
        if (!source || satisfies(news, source)) return { inputs: news };
        // Never back onto a failed, fenced or disabled host (after an evacuation or automatic recovery).
        const blocked = await blockedMove(nova, news, news.serverName, source);
        if (blocked) return { inputs: news, failures: [{ property: "host", reason: blocked }] };
        const pf = news.preflight;
        if (!pf || !this.ssh || pf.failedHosts.includes(source)) return { inputs: news };
        const candidates = news.host !== undefined ? [news.host] : Object.keys(pf.hosts).filter((h) => h !== source && satisfies(news, h));
        const from = pf.hosts[source];
        const checked = candidates.filter((c) => pf.hosts[c] && from);
        if (checked.length === 0) return { inputs: news };
        const results = await Promise.all(
            checked.map(async (dest) => ({
                dest,
                failures: await preflight(this.ssh!, {
                    source: from!,
                    destination: pf.hosts[dest]!,
                    transport: pf.transport,
                    instancesPath: pf.instancesPath,
                    blockMigration: news.blockMigration,
                    sharedStore: pf.sharedStore,
                    permitPostCopy: pf.permitPostCopy,
                    novaConf: pf.novaConf,
                    volumeBacked: !server.image, // Nova shows "" for a server booted from a volume
                    ceph: pf.ceph?.clients.includes(dest)
                        ? { user: pf.ceph.user, pools: [pf.ceph.volumesPool, ...(pf.ceph.disks?.computes.includes(dest) ? [pf.ceph.disks.pool] : [])] }
                        : undefined,
                }),
            })),
        );
        // A named host must pass; for the scheduler's choice, one passing candidate is enough.
        if (results.some((r) => r.failures.length === 0) && news.host === undefined) return { inputs: news };
        const failures = results.flatMap((r) =>
            r.failures.map((reason) => ({ property: "host", reason: `pre-flight of ${news.serverName}'s move ${source} → ${r.dest}: ${reason}` })),
        );
        return failures.length > 0 ? { inputs: news, failures } : { inputs: news };
    }

    private async apply(inputs: PlacementInputs, previous?: Move): Promise<PlacementOutputs> {
        const { nova } = mustHave(this.clients, "Placement");
        const { host, moves } = await ensurePlacement(nova, inputs.serverId, inputs, inputs, inputs.serverName);
        const last = moves.filter((m) => m.migrationId > 0).pop();
        const lastMove = last ? { migrationId: last.migrationId, source: last.source, destination: last.destination, durationMs: last.durationMs } : previous;
        return { ...inputs, currentHost: host, ...(lastMove ? { lastMove } : {}) };
    }

    async create(inputs: PlacementInputs): Promise<pulumi.dynamic.CreateResult<PlacementOutputs>> {
        return { id: inputs.serverId, outs: await this.apply(inputs) };
    }

    async update(id: string, olds: PlacementOutputs, news: PlacementInputs): Promise<pulumi.dynamic.UpdateResult<PlacementOutputs>> {
        try {
            return { outs: await this.apply(news, olds.lastMove) };
        } catch (err) {
            throw await this.withObservedState(id, err, news, olds.lastMove);
        }
    }

    /**
     * A failed move may still have moved the server (Nova finished after our wait gave up, or nova-api
     * was unreachable at the end). The error stores where the server is now (see ./partialFailure), ""
     * when Nova cannot say, so the next `up` checks again instead of trusting the old host.
     */
    private async withObservedState(id: string, err: unknown, news: PlacementInputs, lastMove?: Move): Promise<Error> {
        const server = await this.clients?.nova.getServer(news.serverId).catch(() => undefined);
        const currentHost = (server && serverHost(server)) ?? "";
        return partialFailure(err, id, { ...news, currentHost, ...(lastMove ? { lastMove } : {}) });
    }

    async diff(_id: string, olds: PlacementOutputs, news: PlacementInputs): Promise<pulumi.dynamic.DiffResult> {
        if (olds.serverId !== news.serverId) return { changes: true, replaces: ["serverId"] };
        const settingsChanged = JSON.stringify([olds.host, olds.notOn, olds.blockMigration, olds.timeoutSeconds, olds.onTimeout, olds.serverName, movesPreflight(olds.preflight)]) !==
            JSON.stringify([news.host, news.notOn, news.blockMigration, news.timeoutSeconds, news.onTimeout, news.serverName, movesPreflight(news.preflight)]);
        return { changes: settingsChanged || !satisfies(news, olds.currentHost) };
    }

    async read(id: string, props?: PlacementOutputs): Promise<pulumi.dynamic.ReadResult<PlacementOutputs>> {
        const { nova } = mustHave(this.clients, "Placement");
        const server = await nova.getServer(id);
        if (!server || !props) return { id: "", props: undefined };
        const currentHost = serverHost(server) ?? "";
        const observed = { ...props, currentHost };
        if (satisfies(props, currentHost)) return { id, props: observed };
        // Moved away from its placement (by hand, by an evacuation…): report the host it is on as the
        // input, so the preview shows the move back, e.g. `host: "compute-3" => "compute-1"`.
        // (No undefined values: the engine's struct encoding rejects them.)
        const { currentHost: _c, lastMove: _l, notOn: _n, ...inputs } = observed;
        return { id, props: observed, inputs: { ...inputs, host: currentHost } as PlacementOutputs };
    }
}

export const placementProvider = lazyProvider(__filename, "PlacementProvider", methodsOf(PlacementProvider));

export type PlacementArgs = { [K in keyof PlacementInputs]: pulumi.Input<PlacementInputs[K]> };

export class ServerPlacement extends LazyResource {
    declare readonly currentHost: pulumi.Output<string>;
    declare readonly lastMove: pulumi.Output<Move | undefined>;

    constructor(name: string, args: PlacementArgs, opts?: pulumi.CustomResourceOptions) {
        super(placementProvider, name, { ...args, currentHost: undefined, lastMove: undefined }, opts, "livemig", "Placement");
    }
}

export { describePlacement };
