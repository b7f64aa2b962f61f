// Issue 3's figures: lab up/down, `pulumi up` from bare hosts to the configured state, a no-change
// `pulumi up`, and the walkthrough's commands run by hand as the peer, all on the same lab in one run.
import * as path from "node:path";
import { repoRoot } from "../support/env";
import { labHosts, labTestStack, setStackConfig } from "../support/lab";
import { ratio, record, secs, sh, timed } from "./support";

export async function benchHosts(): Promise<void> {
    const B = "hosts";
    await labHosts("down");
    const up = await timed(() => labHosts("up"));
    record(B, "lab hosts up (7 hosts, image cached)", secs(up.ms));
    const down = await timed(() => labHosts("down"));
    record(B, "lab hosts down", secs(down.ms));
    await labHosts("up");

    const { stack, remove } = await labTestStack("bench-hosts");
    try {
        // Host configuration only.
        await stack.removeConfig("novaCompute");
        await setStackConfig(stack, { servers: [] });
        const first = await timed(() => stack.up());
        record(B, "pulumi up from bare hosts", secs(first.ms), `${Object.values(first.result.summary.resourceChanges ?? {}).reduce((a, b) => a + (b ?? 0), 0)} resources`);
        const again = await timed(() => stack.up());
        record(B, "pulumi up, nothing to change", secs(again.ms));
        const preview = await timed(() => stack.preview({ refresh: true }));
        record(B, "pulumi preview --refresh (drift check)", secs(preview.ms));

        await labHosts("down");
        await labHosts("up");
        const peer = await timed(() => sh(path.join(repoRoot, "test/bench/peer/walkthrough-by-hand.sh"), ["/var/lib/livemig-lab/ssh/config"]));
        record(B, "peer: the walkthrough's commands by hand over ssh", secs(peer.ms), "tcp auth none, replica 2, no checks");
        record(B, "pulumi up from bare / by hand", ratio(first.ms, peer.ms), "TLS, CA, arbiter layout, checks, idempotence included");
    } finally {
        await remove();
        await labHosts("down");
        await labHosts("up");
    }
}
