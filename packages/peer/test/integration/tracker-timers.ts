// Tracker timers for the integration suite: a crashed child is declared
// failed within ~1.5 s instead of 10 s, so crash scenarios finish quickly.
// Tests never assert how fast; these only shorten the waits.

export const INTEGRATION_TRACKER_TIMERS = {
  heartbeatIntervalMs: 250,
  heartbeatTimeoutMs: 1_500,
  /** Long enough that a channel the mesh re-offers (~0.2-1 s) is never mistaken for a dead link. */
  linkGraceMs: 5_000,
  joinTimeoutMs: 20_000,
} as const;
