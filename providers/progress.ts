// Progress of a long update (a drain, an evacuation of many servers), shown by the engine while it runs:
// an ephemeral status line on the resource's row (`7/20 moved, 2 running, 11 queued`), through the
// engine's own Log RPC, as resource plugins written in Go report theirs. A dynamic provider's process is
// started with the engine's address as its first argument; the resource's URN comes in as an input.
import type * as pulumi from "@pulumi/pulumi";

type Log = (severity: "INFO" | "WARNING", message: string, urn: string, ephemeral: boolean) => void;

/** One client per engine address, for the provider process's life. */
const logs = new Map<string, Log>();

/** The engine's Log RPC, or undefined outside the engine (tests, benchmarks calling lib code). */
function engineLog(address: string | undefined): Log | undefined {
    if (!address || !/^[\w.-]+:\d+$/.test(address)) return undefined;
    let log = logs.get(address);
    if (!log) logs.set(address, (log = newEngineLog(address)));
    return log;
}

function newEngineLog(address: string): Log {
    const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
    const engrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
    const engproto = require("@pulumi/pulumi/proto/engine_pb");
    const client = new engrpc.EngineClient(address, grpc.credentials.createInsecure());
    return (severity, message, urn, ephemeral) => {
        const req = new engproto.LogRequest();
        req.setSeverity(engproto.LogSeverity[severity]);
        req.setMessage(message);
        req.setUrn(urn);
        req.setEphemeral(ephemeral);
        // Best effort: a lost line must never fail the step.
        client.log(req, () => undefined);
    };
}

/** A reporter for the resource `urn`; a no-op outside the engine (tests, benchmarks calling lib code). */
export function engineProgress(urn: string | undefined, address = process.argv[2]): (message: string) => void {
    const log = urn ? engineLog(address) : undefined;
    if (!log || !urn) return () => undefined;
    let last = "";
    return (message: string) => {
        if (message === last) return;
        last = message;
        log("INFO", message, urn, true);
    };
}

/** A warning in the engine's diagnostics (shown after the run); printed to stderr outside the engine. */
export function engineWarning(message: string, address = process.argv[2]): void {
    const log = engineLog(address);
    if (log) log("WARNING", message, "", false);
    else console.warn(message);
}

/** The URN a dynamic resource of this project will have (no parent), to pass as its `progressUrn` input. */
export function dynamicUrn(p: Pick<typeof pulumi, "createUrn">, type: string, name: string): pulumi.Output<string> {
    return p.createUrn(name, `pulumi-nodejs:dynamic/livemig:${type}`);
}
