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

/** An IPv4/IPv6 address or a DNS name. */
export const address = z.string().refine((s) => isIP(s) !== 0 || DNS_NAME.test(s), {
    error: (iss) => `expected an IPv4 or IPv6 address or a DNS name, received ${JSON.stringify(iss.input)}`,
});

/** An absolute path without spaces or shell metacharacters. */
export const absolutePath = z.string().regex(ABSOLUTE_PATH, {
    error: (iss) =>
        `expected an absolute path made of letters, digits, ".", "_", "-" and "/", received ${JSON.stringify(iss.input)}`,
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
