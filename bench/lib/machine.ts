// What the numbers were measured on. Load average is recorded because the
// machine may be shared: a figure taken while other jobs ran says so.
import { spawnSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  readonly cpu_model: string;
  readonly cores: number;
  readonly memory_bytes: number;
  readonly node_version: string;
  readonly platform: string;
  readonly date: string;
  readonly loadavg_1m_at_start: number;
  readonly open_files_limit: number | null;
}

export const machineInfo = (openFilesLimit: number | null): MachineInfo => ({
  cpu_model: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memory_bytes: os.totalmem(),
  node_version: process.version,
  platform: `${os.type()} ${os.release()} ${os.arch()}`,
  date: new Date().toISOString(),
  loadavg_1m_at_start: os.loadavg()[0] ?? Number.NaN,
  open_files_limit: openFilesLimit,
});

/** The shell's open-files limit (what every process the bench starts inherits). */
export const openFilesLimit = (): number | null => {
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return r.status === 0 && Number.isFinite(n) ? n : null;
};
