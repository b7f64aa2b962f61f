// `npm run bench [-- NAME…]`: the benchmarks, against the local lab (bring it up with `lab/lab up`, or use
// `./run bench`). Figures are wall times and API request counts, each next to a peer measured in the same
// run, and ratios against it. Names: hosts, drain, evacuate, guests, scale, storage, ha (default: all).
import { benchGuests } from "./guests.bench";
import { benchHa } from "./ha.bench";
import { benchHosts } from "./hosts.bench";
import { benchDrain, benchEvacuation } from "./moves.bench";
import { benchScale } from "./scale.bench";
import { benchStorage } from "./storage.bench";
import { table } from "./support";

const benches: Record<string, () => Promise<void>> = {
    hosts: benchHosts,
    drain: benchDrain,
    evacuate: benchEvacuation,
    guests: benchGuests,
    scale: benchScale,
    storage: benchStorage,
    ha: benchHa,
};

async function main() {
    const wanted = process.argv.slice(2);
    for (const name of wanted) if (!benches[name]) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(benches).join(", ")}`);
    for (const [name, bench] of Object.entries(benches)) {
        if (wanted.length && !wanted.includes(name)) continue;
        console.log(`\n== ${name}`);
        await bench();
    }
    console.log(`\n${table()}`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
