// Tracker timers for the integration suite: a crashed child is declared
// failed within ~4 s instead of 10 s, so crash scenarios finish quickly.
// Tests never assert how fast; these only shorten the waits.

export const INTEGRATION_TRACKER_TIMERS = {
  heartbeatIntervalMs: 250,
  /**
   * 16 missed heartbeats. 1.5 s was too tight on a loaded 2-core machine: the
   * in-process tracker's sweep ran before a starved event loop read the queued
   * heartbeats, declared honest children failed, and their sends raced the re-join.
   */
  heartbeatTimeoutMs: 4_000,
  /** Long enough that a channel the mesh re-offers (~0.2-1 s) is never mistaken for a dead link. */
  linkGraceMs: 5_000,
  joinTimeoutMs: 20_000,
} as const;
