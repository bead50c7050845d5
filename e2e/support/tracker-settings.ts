// The tracker settings every e2e run uses: short heartbeats so a closed
// browser context is declared failed within seconds, not the 10 s default.

/** Peers heartbeat this often. */
export const HEARTBEAT_INTERVAL_MS = 500;
/**
 * A peer silent this long is failed. Six intervals: a test machine running
 * several browsers on two cores can stall a tab for a second or two without
 * it being dead, and a false failure would evict a live user.
 */
export const HEARTBEAT_TIMEOUT_MS = 3_000;
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
