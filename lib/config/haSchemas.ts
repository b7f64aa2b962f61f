// Config of automatic recovery (instance HA): Masakari failover segments over the computes, each a
// Corosync/Pacemaker cluster whose STONITH goes through the hosts' fence devices, with Masakari's host,
// instance and process monitors on every member. Cross-field rules are in crossChecks.ts.
import { z } from "zod";
import { absolutePath, hostName } from "./fields";

export const RECOVERY_METHODS = ["auto", "reserved_host", "auto_priority", "rh_priority"] as const;

const segmentName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
    error: (i) => `expected a segment name (letters, digits, ".", "_", "-"; up to 63 characters), received ${JSON.stringify(i.input)}`,
});

export const segmentSchema = z.strictObject({
    /** The Masakari segment's name, also the Corosync cluster's. */
    name: segmentName,
    /**
     * auto (default): the scheduler picks a host for each recovered server; reserved_host: servers go to
     * the reserved hosts; auto_priority / rh_priority: one, then the other if it fails.
     */
    recoveryMethod: z.enum(RECOVERY_METHODS).default("auto"),
    /** The computes of the segment (at least 2; 3 or more keep quorum when one fails). */
    hosts: z.array(hostName).min(2, { error: "expected at least two hosts in a segment (a cluster of one cannot fence anyone)" }),
    /** Hosts of the segment kept free for recovery (reserved_host methods); default none. */
    reservedHosts: z.array(hostName).default([]),
});

export const haDefaults = { tokenMs: 1000, hostMonitorIntervalSeconds: 2, processCheckIntervalSeconds: 3, processRestartRetries: 3 } as const;

export const haSchema = z.strictObject({
    /**
     * An INI file (nova.conf syntax) with an [api] section: the Keystone login Masakari's monitors send
     * notifications with (and that forces a fenced host's compute service down). Read at deploy time on
     * the machine running Pulumi, kept as a secret. The lab writes one at `lab up`.
     */
    monitorSettingsPath: absolutePath,
    /**
     * Corosync's token timeout in ms: how long a silent member takes to be declared lost (then fenced);
     * default 1000 (Corosync's own 3000 is meant for busy, lossy networks).
     */
    tokenMs: z.int().min(300).max(60_000).default(haDefaults.tokenMs),
    /** The members' network interface that carries Corosync (the host monitor watches its traffic there); default eth0. */
    clusterInterface: z.string().regex(/^[A-Za-z0-9._-]{1,15}$/, { error: (i) => `expected a network interface name, received ${JSON.stringify(i.input)}` }).default("eth0"),
    /** Masakari host monitor's polling interval in s ([host] monitoring_interval); default 2 (Masakari's: 60). */
    hostMonitorIntervalSeconds: z.int().min(1).max(600).default(haDefaults.hostMonitorIntervalSeconds),
    /** Masakari process monitor's check interval in s ([process] check_interval); default 3 (Masakari's: 5). */
    processCheckIntervalSeconds: z.int().min(1).max(600).default(haDefaults.processCheckIntervalSeconds),
    /** Restarts the process monitor tries before it reports the process failed; default 3. */
    processRestartRetries: z.int().min(0).max(10).default(haDefaults.processRestartRetries),
    segments: z.array(segmentSchema).min(1, { error: "expected at least one segment" }),
});

export type HaConfig = z.output<typeof haSchema>;
