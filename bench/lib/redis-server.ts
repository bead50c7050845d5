// A throwaway redis-server on a free port (no persistence) for the two-node
// tracker measurement; stopped by the returned function.
import { spawn } from 'node:child_process';
import { freePort } from './free-port.ts';

const REDIS_START_TIMEOUT_MS = 10_000;

export const startRedis = async (): Promise<{ url: string; stop: () => Promise<void> }> => {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('redis-server did not report ready in 10 s')),
      REDIS_START_TIMEOUT_MS,
    );
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not start: ${e.message}`));
    });
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};
