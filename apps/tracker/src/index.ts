export { startTracker, MAX_PAYLOAD_BYTES } from './start-tracker.ts';
export type { RunningTracker } from './start-tracker.ts';
export { configFromEnv, defaultConfig, ConfigError } from './config.ts';
export type { TrackerConfig, RateLimit } from './config.ts';
