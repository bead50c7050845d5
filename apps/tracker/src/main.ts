// `npm start`: read env, start one tracker node, stop cleanly on SIGTERM/SIGINT. It runs as
// `node --import tsx`, not under the `tsx` command: that one relays a signal to its child and
// SIGKILLs the child when it does not acknowledge within 60 ms, which a loaded machine misses.

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
let stopping = false;
const stop = (signal: string): void => {
  // npm and a terminal's process group can deliver one signal twice; the first one starts the
  // shutdown and the repeat must not kill the process before it ends (SHUTDOWN_DEADLINE_MS bounds it).
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
  tracker.close().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(`chorus-tracker: error during ${signal} shutdown`, e);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
