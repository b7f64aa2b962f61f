// The bash every host script starts with: strict mode, an error trap that names the host and step, and the
// few primitives the builders use. Each primitive is idempotent and says whether it changed something, so
// that a script restarts only the services whose configuration really changed.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { shq } from "./quote";

// Kept as a real shell file so it can be read, linted and tested as shell.
const PRELUDE = readFileSync(path.join(__dirname, "prelude.sh"), "utf8");

// Where the prelude goes. Scripts are stored in the state as resource inputs, so they carry this line and
// the prelude is put in only when a script runs (withPrelude): 4.7 KB less per script in every state.
const PRELUDE_MARK = "# livemig: the prelude (lib/hostscripts/prelude.sh) goes here when the script runs";

/** A script: prelude (see withPrelude), then `body`. `step` names the script in errors. */
export function hostScript(step: string, body: string): string {
    return `#!/bin/bash\nLIVEMIG_STEP=${shq(step)}\n${PRELUDE_MARK}\n${body.trim()}\n`;
}

/** The script as it runs: a hostScript's prelude line replaced by the prelude; other scripts unchanged. */
export function withPrelude(script: string): string {
    const at = script.indexOf(`\n${PRELUDE_MARK}\n`);
    return at < 0 ? script : `${script.slice(0, at + 1)}${PRELUDE}${script.slice(at + 1 + PRELUDE_MARK.length)}`;
}

/** Secrets for `read_secret`, in order: what a script's stdin carries after the script itself. */
export function secretsStdin(values: string[]): string {
    return values.map((v) => `${Buffer.byteLength(v)}\n${v}`).join("");
}

/** A command line of shell-quoted words. */
export function cmd(...words: (string | number)[]): string {
    return words.map(shq).join(" ");
}

/**
 * `put_file PATH MODE OWNER` fed `text` as one single-quoted word (through a process substitution, so that
 * put_file runs in the script's own shell): nothing in the text can end a here-document or run.
 */
export function putFile(path: string, mode: string, owner: string, text: string): string {
    return `put_file ${cmd(path, mode, owner)} < <(printf '%s' ${shq(text)})`;
}

/**
 * A value that goes into one line of a config file (a systemd unit, an INI file): a line break or another
 * control character would add lines (settings) of its own, whatever the quoting. Throws naming `what`.
 */
export function oneLine(what: string, value: string): string {
    if (/[\x00-\x1f\x7f]/.test(value)) throw new Error(`${what}: ${JSON.stringify(value)} contains a line break or control character`);
    return value;
}
