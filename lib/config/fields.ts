// Field types shared by the stack config schema. Everything that can end up inside a shell script is
// restricted to characters that need no quoting at all, so a config value can never change a script's
// meaning even before the builders quote it.
import { isIP } from "node:net";
import { z } from "zod";

const HOST_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9._\/-]*$/;
const UNIX_USER = /^[a-z_][a-z0-9_-]{0,31}$/;

/** A host name as nova and gluster see it: one DNS label, lowercase. */
export const hostName = z
    .string()
    .regex(HOST_NAME, {
        error: (iss) =>
            `expected a host name (lowercase letters, digits and "-", 1-63 characters, not starting or ending with "-"), received ${JSON.stringify(iss.input)}`,
    });

/**
 * Whether `s` is a DNS name and not a mistyped IPv4 address: a name whose last label is all digits
 * ("10.0.0.256", "10.0.1", "010.0.0.1") is no DNS name (no top-level domain is numeric, RFC 3696 §2), and
 * a resolver would read some of them as addresses ("10.0.1" is 10.0.0.1 to inet_aton).
 */
export function isDnsName(s: string): boolean {
    return DNS_NAME.test(s) && !/(^|\.)[0-9]+$/.test(s);
}

/** An IPv4/IPv6 address or a DNS name. */
export const address = z.string().refine((s) => isIP(s) !== 0 || isDnsName(s), {
    error: (iss) =>
        typeof iss.input === "string" && /^[0-9.]+$/.test(iss.input)
            ? `expected an IPv4 address (four numbers 0-255, without leading zeros), received ${JSON.stringify(iss.input)}`
            : `expected an IPv4 or IPv6 address or a DNS name, received ${JSON.stringify(iss.input)}`,
});

/**
 * An absolute path without spaces or shell metacharacters, and without "." or ".." segments or empty ones
 * ("//"): a path means what it reads, wherever it is used (a mount point, a brick, a file to edit).
 */
export const absolutePath = z
    .string()
    .regex(ABSOLUTE_PATH, {
        error: (iss) =>
            `expected an absolute path made of letters, digits, ".", "_", "-" and "/", received ${JSON.stringify(iss.input)}`,
    })
    .refine((s) => !/\/\/|\/\.\.?(\/|$)/.test(s), {
        error: (iss) => `expected a path without "." or ".." segments or "//", received ${JSON.stringify(iss.input)}`,
    });

/** An absolute path that can be a mount point: not "/" itself. */
export const mountPoint = absolutePath.refine((s) => s.replace(/\/+$/, "") !== "", {
    error: 'expected a directory to mount on, not "/" (mounting there would hide the whole system)',
});

export const unixUser = z.string().regex(UNIX_USER, {
    error: (iss) => `expected a Unix user name, received ${JSON.stringify(iss.input)}`,
});

export const port = z.int().min(1).max(65535);

/** A name as it appears in clouds.yaml or OpenStack: printable, no quotes or shell metacharacters. */
export const cloudName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, {
    error: (iss) =>
        `expected a cloud name from clouds.yaml (letters, digits, ".", "_", "-"), received ${JSON.stringify(iss.input)}`,
});
