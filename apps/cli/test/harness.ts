// The Vitest side of the CLI's process tests, in one place: a real tracker
// (in this process, or a child process a test can SIGKILL), children that are
// killed after each test, the archivist as an operator starts it, what its
// database holds read as another process would, and `--status`. The
// Playwright spec shares only fixtures.ts (no Vitest hooks there).

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTracker, type RunningTracker } from '@chorus/tracker';
import type { GroupId } from '@chorus/protocol';
import { TrackerProcess, freePort } from '../../../packages/peer/test/integration/service-processes.ts';
import { INTEGRATION_TRACKER_TIMERS } from '../../../packages/peer/test/integration/tracker-timers.ts';
import { CHORUS_BIN, LineProcess, REPO_ROOT } from './fixtures.ts';

export interface Killable {
  kill(): Promise<unknown>;
}

/** Registers hooks: what a test hands to the returned function is killed after it. */
export function killedAfterEach(): (...processes: Killable[]) => void {
  const started: Killable[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.kill()));
  });
  return (...processes) => void started.push(...processes);
}

/** Registers hooks: one in-process tracker for the file (short heartbeat timers); `url` once it runs. */
export function trackerForFile(): { readonly url: string } {
  let tracker: RunningTracker | null = null;
  beforeAll(async () => {
    tracker = await startTracker({
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      webDist: '/nonexistent',
      ...INTEGRATION_TRACKER_TIMERS,
    });
  });
  afterAll(async () => {
    await tracker?.close();
  });
  return {
    get url(): string {
      if (tracker === null) throw new Error('the tracker is not running');
      return tracker.url;
    },
  };
}

/** A tracker in its own process (in-memory store), to SIGKILL and start again on the same port. */
export async function startTrackerProcess(): Promise<TrackerProcess> {
  const t = new TrackerProcess(await freePort(), {
    HEARTBEAT_INTERVAL_MS: String(INTEGRATION_TRACKER_TIMERS.heartbeatIntervalMs),
    HEARTBEAT_TIMEOUT_MS: String(INTEGRATION_TRACKER_TIMERS.heartbeatTimeoutMs),
    LINK_GRACE_MS: String(INTEGRATION_TRACKER_TIMERS.linkGraceMs),
    JOIN_TIMEOUT_MS: String(INTEGRATION_TRACKER_TIMERS.joinTimeoutMs),
  });
  await t.start();
  return t;
}

/** `chorus --archive` in CHORUS_HOME `home`, logging at debug (every durable batch as a `stored` line). */
export const startArchivist = (
  home: string,
  trackerUrl: string,
  groups: string,
  more: readonly string[] = [],
): LineProcess =>
  new LineProcess(['--archive', '--groups', groups, '--tracker', trackerUrl, ...more], {
    CHORUS_HOME: home,
    LOG_LEVEL: 'debug',
  });

/** The archivist's log line saying it is in a group (any group when `groupId` is left out). */
export const archivistInGroup = (p: LineProcess, groupId?: GroupId): Promise<string> =>
  p.waitForLine(
    'the archivist in the group',
    (l) => l.includes('"in group; history synced"') && (groupId === undefined || l.includes(groupId)),
    60_000,
  );

export const archivistDb = (home: string): string => join(home, 'archivist.sqlite');

/** One column of a group's stored messages in the group's order, read as another process would (WAL allows it). */
export function storedColumn(dbFile: string, groupId: GroupId, column: 'id' | 'body'): string[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return (
      db.prepare(`SELECT ${column} AS v FROM messages WHERE group_id = ? ORDER BY order_key`).all(groupId) as {
        v: string;
      }[]
    ).map((r) => r.v);
  } finally {
    db.close();
  }
}

export interface StatusReport {
  readonly groups: readonly {
    readonly groupId: string;
    readonly name: string;
    readonly messages: number;
    readonly lastSyncAt: string | null;
  }[];
  readonly notJoined: readonly {
    readonly group: string;
    readonly groupId: string | null;
    readonly locked: boolean;
    readonly reason: string;
  }[];
}

/** `chorus --status` for the database in `home`: the raw text and the parsed report. */
export function status(home: string): { readonly text: string; readonly report: StatusReport } {
  const text = execFileSync(process.execPath, [CHORUS_BIN, '--status', '--home', home], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return { text, report: JSON.parse(text) as StatusReport };
}
