// The bash every host script starts with: strict mode, an error trap that names the host and step, and the
// few primitives the builders use. Each primitive is idempotent and says whether it changed something, so
// that a script restarts only the services whose configuration really changed.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { shq } from "./quote";

// Kept as a real shell file so it can be read, linted and tested as shell.
const PRELUDE = readFileSync(path.join(__dirname, "prelude.sh"), "utf8");

/** A complete script: prelude, then `body`. `step` names the script in errors. */
export function hostScript(step: string, body: string): string {
    return `#!/bin/bash\nLIVEMIG_STEP=${shq(step)}\n${PRELUDE}\n${body.trim()}\n`;
}

/** Secrets for `read_secret`, in order: what a script's stdin carries after the script itself. */
export function secretsStdin(values: string[]): string {
    return values.map((v) => `${Buffer.byteLength(v)}\n${v}`).join("");
}

/** A command line of shell-quoted words. */
export function cmd(...words: (string | number)[]): string {
    return words.map(shq).join(" ");
}
