// One-way latency across processes on one machine: every process stamps with
// performance.timeOrigin + performance.now(). timeOrigin is taken from the
// system wall clock when the process (or page) starts and now() is monotonic
// from there, so two processes on the same host agree to within the clock's
// read jitter (microseconds) unless the wall clock is stepped mid-run.
export const wallNowMs = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `check` until it returns true or `timeoutMs` passes; resolves with whether it came true. */
export const waitUntil = async (
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 20,
): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
};

/** Rejects after `ms` with a message naming what was awaited, so a stuck step fails the row, not the run. */
export const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
