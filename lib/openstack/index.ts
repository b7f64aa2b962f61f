// The OpenStack client used by the dynamic providers. No Pulumi in here, and no top-level imports of
// Node built-ins or npm packages (see session.ts / cloudsYaml.ts): Pulumi serializes providers by value.
export * from "./errors";
export * from "./cloudConfig";
export { loadCloud, type LoadCloudOptions } from "./loadCloud";
export { cloudsYamlCandidates, secureYamlCandidates } from "./cloudsYaml";
export { EndpointNotFoundError, findEndpoint, type CatalogEntry, type CatalogEndpoint } from "./catalog";
export { OpenStackSession, type Reply, type RequestOptions, type Query, type SessionStats } from "./session";
export { DEFAULT_RETRY, parseRetryAfter, type RetryPolicy } from "./transport";
export { compareMicroversions, pickMicroversion, supports } from "./microversion";
export * from "./novaTypes";
export * from "./novaBodies";
export { NovaClient, type ListMigrationsOptions, type ListServersOptions } from "./nova";
export { CinderClient, type CreateVolumeOptions, type Volume } from "./cinder";
export { GlanceClient, type Image } from "./glance";
export { waitFor, type WaitOptions } from "./wait";
export { waitForServerStatus, waitForServerGone, type ServerWaitOptions } from "./serverWait";
export { waitForMigration, FAILED_STATUSES, type MoveResult, type MigrationWaitOptions } from "./migrationWait";
export { liveMigrateAndWait, type LiveMigrateAndWaitOptions } from "./liveMigrate";
export { evacuateAndWait, type EvacuateAndWaitOptions } from "./evacuate";
export { waitForVolumeStatus, waitForVolumeGone } from "./volumeWait";
export { MasakariClient, type RecoveryMethod, type Segment, type SegmentHost, type Notification } from "./masakari";
