// The tracker settings every e2e run uses: heartbeats every 500 ms (the
// default is 2 s) and a short link grace, so failures are found within seconds.

/** Peers heartbeat this often. */
export const HEARTBEAT_INTERVAL_MS = 500;
/**
 * A peer silent this long is failed (the tracker's default). A closed browser
 * context disconnects its sockets and is failed at once, so this bounds only
 * a tab that stops answering while connected. At 3 s, a clean-clone run on a
 * slow 2-core VM (2 December 2026, load 19) failed two live users at the same
 * moment while one of them downloaded 20 MiB, and the rejoins that followed
 * outlasted the test: a test machine running several browsers on two cores
 * can stall a tab or the tracker for seconds without either being dead.
 */
export const HEARTBEAT_TIMEOUT_MS = 8_000;
/** A link may be down this long before the tracker evicts one end. */
export const LINK_GRACE_MS = 5_000;

export function trackerEnv(port: number): Record<string, string> {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_INTERVAL_MS),
    HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
    LINK_GRACE_MS: String(LINK_GRACE_MS),
    LOG_LEVEL: 'warn',
  };
}
