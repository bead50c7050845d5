// `npm start`: read env, start one tracker node, stop cleanly on SIGTERM/SIGINT.

import { ConfigError, configFromEnv } from './config.ts';
import { startTracker } from './start-tracker.ts';

/** Past this a stuck close is abandoned: an orchestrator will SIGKILL soon anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

let config;
try {
  config = configFromEnv(process.env);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`chorus-tracker: bad configuration: ${e.message}`);
    process.exit(2);
  }
  throw e;
}

const tracker = await startTracker(config);
const stop = (signal: string): void => {
  setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
  tracker.close().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`chorus-tracker: error during ${signal} shutdown`, e);
      process.exit(1);
    },
  );
};
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));
