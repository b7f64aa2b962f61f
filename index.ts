// The livemig stack: reads and validates the config, then builds the components in dependency order.
import { loadStackConfig } from "./lib/config";

const config = loadStackConfig();

export const hosts = config.hosts.map((h) => ({ name: h.name, address: h.address, roles: h.roles }));
