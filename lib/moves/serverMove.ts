// One server's move, as maintenance and evacuation report it.
export interface ServerMove {
    serverId: string;
    serverName: string;
    /** Nova's migration record. */
    migrationId: number;
    source: string;
    destination: string;
    /** From the request to Nova's confirmation. */
    durationMs: number;
}
