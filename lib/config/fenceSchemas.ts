// Config of the hosts' power devices (BMCs), through which an evacuation fences a failed host first:
// the fence agents of Debian's fence-agents, with options as Pacemaker would give them.
import { z } from "zod";
import { absolutePath, address, hostName, port } from "./fields";

/** The agents the stack runs (lib/fencing), from Debian's fence-agents. */
export const FENCE_AGENTS = ["fence_ipmilan", "fence_redfish"] as const;

/** Printable, no spaces or line breaks: the agents read `name=value` lines. */
const login = z.string().regex(/^[\x21-\x7e]{1,64}$/, {
    error: (i) => `expected a BMC user name (1-64 printable characters, no spaces), received ${JSON.stringify(i.input)}`,
});

export const fenceDeviceSchema = z.strictObject({
    /** The host it powers: a compute (or any declared host). */
    host: hostName,
    /** fence_ipmilan (IPMI over LAN) or fence_redfish (Redfish over HTTPS). */
    agent: z.enum(FENCE_AGENTS),
    /** The BMC's address. */
    address,
    /** Default the agent's: 623 (IPMI, UDP) or 443 (Redfish). */
    port: port.optional(),
    username: login,
    /** A Pulumi secret: pulumi config set --secret --path 'fenceDevices[0].password'. */
    password: z.string().regex(/^[^\r\n]{1,128}$/, { error: "expected a BMC password of 1-128 characters without line breaks" }),
    /** fence_ipmilan: IPMI 2.0 (lanplus); default true. false (IPMI 1.5) protects the login far less. */
    lanplus: z.boolean().optional(),
    /** fence_ipmilan: cipher suite (ipmitool -C); default the agent's (3). */
    cipher: z.int().min(0).max(17).optional(),
    /** fence_ipmilan: privilege level; default the agent's (administrator). */
    privilegeLevel: z.enum(["callback", "user", "operator", "administrator"]).optional(),
    /** fence_redfish: the system's URI; default the BMC's first system. */
    systemsUri: z.string().regex(/^\/[A-Za-z0-9._\/-]{1,255}$/, { error: (i) => `expected a Redfish URI like /redfish/v1/Systems/1, received ${JSON.stringify(i.input)}` }).optional(),
    /** fence_redfish: CA bundle that the BMC's certificate must chain to (a file on the machine running Pulumi); default the system's CAs. */
    caCertPath: absolutePath.optional(),
    /** How long the device may take to report the host off after the power-off; default 60. */
    timeoutSeconds: z.int().min(5).max(600).default(60),
});

export type FenceDeviceConfig = z.output<typeof fenceDeviceSchema>;

/** Options that only one agent knows. */
export const AGENT_ONLY: Record<string, (typeof FENCE_AGENTS)[number]> = {
    lanplus: "fence_ipmilan",
    cipher: "fence_ipmilan",
    privilegeLevel: "fence_ipmilan",
    systemsUri: "fence_redfish",
    caCertPath: "fence_redfish",
};
