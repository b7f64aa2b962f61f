// RemoteScript: an idempotent shell script that converges one host over SSH, as a Pulumi resource.
//
// It stands where @pulumi/command's remote.Command would (that plugin cannot be built here, see README), and
// adds what host configuration needs: `read()` runs a check script so that `pulumi preview --refresh` shows
// drift, and the next `pulumi up` re-runs the converge script. SSH credentials never become inputs: the
// provider reads them from the stack's `ssh` config (a Pulumi secret or a key file) in configure().
import * as pulumi from "./sdk";
import { ScriptError, SshConnectError, runScript, type SshCredentials, type SshTarget } from "../lib/ssh/exec";
import { withPrelude } from "../lib/hostscripts/prelude";
import { noteHostChanged } from "../lib/moves/preflightCache";
import { sshCredentialsFrom } from "./sshCredentials";
import { LazyResource, lazyProvider, methodsOf } from "./lazy";

export interface RemoteScriptArgs {
    /** Where to run; connection credentials come from the stack config, never from here. */
    host: pulumi.Input<SshTarget>;
    /** What the script does, for messages: "configure libvirtd". */
    step: pulumi.Input<string>;
    /** Idempotent script that brings the host to the desired state; re-run when it, `stdin` or `triggers` change. */
    create: pulumi.Input<string>;
    /** Script that prints one `DRIFT <what>` line per difference from the desired state; default: none. */
    check?: pulumi.Input<string>;
    /** Script run when the resource is deleted; default: none (the host is left as it is). */
    delete?: pulumi.Input<string>;
    /** Secret bytes fed to the scripts' stdin after start (keys, passwords); stored encrypted. */
    stdin?: pulumi.Input<string>;
    /** Any values whose change must re-run `create` (e.g. a certificate's fingerprint). */
    triggers?: pulumi.Input<pulumi.Input<string>[]>;
}

/** Plain inputs, as the provider sees them. */
export interface RemoteScriptInputs {
    host: SshTarget;
    step: string;
    create: string;
    check?: string;
    delete?: string;
    stdin?: string;
    triggers?: string[];
    /** Always [] in the program; read() fills it with what the check script found. */
    drift: string[];
}

export interface RemoteScriptOutputs extends RemoteScriptInputs {
    /** Last part of the converge script's stdout. */
    stdout: string;
}

const STDOUT_LIMIT = 4096;
const UNREACHABLE = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|Timed out while waiting for handshake/;
/** How long a refresh's check keeps trying a host that does not answer (ssh.connectTimeoutSeconds when shorter). */
export const READ_CONNECT_MS = 10_000;

/** Lines `DRIFT <what>` of a check script's output. */
export function parseDrift(stdout: string): string[] {
    return stdout
        .split("\n")
        .filter((l) => l.startsWith("DRIFT "))
        .map((l) => l.slice("DRIFT ".length).trim());
}

export class RemoteScriptProvider implements pulumi.dynamic.ResourceProvider<RemoteScriptInputs, RemoteScriptOutputs> {
    private creds?: SshCredentials & { connectTimeoutMs: number };

    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.creds = sshCredentialsFrom(req.config);
    }

    private async run(host: SshTarget, step: string, script: string, stdin?: string, changes = true) {
        if (!this.creds) throw new Error("RemoteScript: the provider was not configured with the stack's ssh settings");
        // A pre-flight that passed earlier in this run no longer speaks for this host.
        if (changes) noteHostChanged(host.address);
        // A check only observes: a host that has not answered within READ_CONNECT_MS keeps its last known
        // state (see read), instead of every refresh after a host failure waiting out the whole window.
        const connectTimeoutMs = changes ? this.creds.connectTimeoutMs : Math.min(this.creds.connectTimeoutMs, READ_CONNECT_MS);
        return runScript(host, this.creds, withPrelude(script), { step, stdin, connectTimeoutMs });
    }

    async diff(_id: string, olds: RemoteScriptOutputs, news: RemoteScriptInputs): Promise<pulumi.dynamic.DiffResult> {
        const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
        const replaces = (["host"] as const).filter((k) => !same(olds[k], news[k]));
        const rerun = !same(olds.create, news.create) || !same(olds.stdin, news.stdin) || !same(olds.triggers, news.triggers);
        const other = !same(olds.check, news.check) || !same(olds.delete, news.delete) || !same(olds.step, news.step);
        const drifted = (olds.drift ?? []).length > 0;
        return { changes: replaces.length > 0 || rerun || other || drifted, replaces, deleteBeforeReplace: true };
    }

    async create(inputs: RemoteScriptInputs): Promise<pulumi.dynamic.CreateResult<RemoteScriptOutputs>> {
        const { stdout } = await this.run(inputs.host, inputs.step, inputs.create, inputs.stdin);
        const id = `${inputs.host.name}:${inputs.step}`;
        return { id, outs: { ...inputs, drift: [], stdout: stdout.slice(-STDOUT_LIMIT) } };
    }

    async update(_id: string, olds: RemoteScriptOutputs, news: RemoteScriptInputs): Promise<pulumi.dynamic.UpdateResult<RemoteScriptOutputs>> {
        const needsRun =
            olds.create !== news.create ||
            olds.stdin !== news.stdin ||
            JSON.stringify(olds.triggers ?? null) !== JSON.stringify(news.triggers ?? null) ||
            (olds.drift ?? []).length > 0;
        if (!needsRun) return { outs: { ...news, drift: [], stdout: olds.stdout } };
        const { stdout } = await this.run(news.host, news.step, news.create, news.stdin);
        return { outs: { ...news, drift: [], stdout: stdout.slice(-STDOUT_LIMIT) } };
    }

    async read(id: string, props?: RemoteScriptOutputs): Promise<pulumi.dynamic.ReadResult<RemoteScriptOutputs>> {
        if (!props?.check) return { id, props };
        let stdout: string;
        try {
            ({ stdout } = await this.run(props.host, `check ${props.step}`, props.check, props.stdin, false));
        } catch (err) {
            // A host that does not answer at all (powered off: fenced, failed) keeps its last known state, so
            // that a refresh after a host failure still shows the rest (where its servers went); the next
            // refresh once it answers checks it again. Refused logins and host keys still fail.
            if (err instanceof SshConnectError && UNREACHABLE.test(err.cause.message)) return { id, props };
            // A check that cannot run to its end (a rebuilt host without the software yet, or a check script
            // of an older version stored in the state) cannot confirm the host: drift, so that the next
            // `pulumi up` runs the converge script, which then fails loudly if something is really wrong.
            if (err instanceof ScriptError) {
                const why = err.stderr.trim().split("\n").pop() || `exit code ${err.exitCode}`;
                return this.drifted(id, props, [`the check failed, the host could not be confirmed: ${why}`]);
            }
            throw err;
        }
        return this.drifted(id, props, parseDrift(stdout));
    }

    private drifted(id: string, props: RemoteScriptOutputs, drift: string[]): pulumi.dynamic.ReadResult<RemoteScriptOutputs> {
        // Report the drift in the inputs too, so that the next diff (and the preview) shows it as a change.
        const { stdout: _out, ...inputs } = props;
        return { id, props: { ...props, drift }, inputs: { ...inputs, drift } as RemoteScriptOutputs };
    }

    async delete(_id: string, props: RemoteScriptOutputs): Promise<void> {
        if (props.delete) await this.run(props.host, `undo ${props.step}`, props.delete, props.stdin);
    }
}

export const remoteScriptProvider = lazyProvider(__filename, "RemoteScriptProvider", methodsOf(RemoteScriptProvider));

export class RemoteScript extends LazyResource {
    declare readonly host: pulumi.Output<SshTarget>;
    declare readonly step: pulumi.Output<string>;
    declare readonly stdout: pulumi.Output<string>;
    declare readonly drift: pulumi.Output<string[]>;

    constructor(name: string, args: RemoteScriptArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            remoteScriptProvider,
            name,
            { ...args, drift: [], stdout: undefined },
            { ...opts, additionalSecretOutputs: ["stdin", ...(opts?.additionalSecretOutputs ?? [])] },
            "livemig",
            "RemoteScript",
        );
    }
}
