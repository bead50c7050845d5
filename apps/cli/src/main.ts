// `chorus`: the entry point. Parses options, then runs one of the terminal
// client, the archivist or `--status`. Problems a person can fix (a bad
// option, a damaged database, an unreadable key file) end the process with
// a sentence and exit code 2; nothing else here should end it.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { Archivist, ReportingStore } from './archivist.ts';
import { FileLeftDms, LEFT_DMS_FILE } from './dm-memory.ts';
import { KeyFileError } from './file-key-store.ts';
import { GroupPasswords, PasswordFileError } from './group-passwords.ts';
import { parseOptions, USAGE, type Options } from './options.ts';
import { openRuntime } from './runtime.ts';
import { SqliteStore, StoreOpenError } from './sqlite-store.ts';
import { Terminal } from './terminal.ts';

/** Past this a stuck shutdown is abandoned: the groups' members notice a dead peer anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

function fail(message: string): never {
  process.stderr.write(`chorus: ${message}\n`);
  process.exit(2);
}

const isUserProblem = (e: unknown): e is Error =>
  e instanceof StoreOpenError || e instanceof KeyFileError || e instanceof PasswordFileError;

/** Read at start so a bad file stops us with a sentence; the archivist reads it again when it changes. */
const loadPasswords = (opts: Options): GroupPasswords =>
  new GroupPasswords(opts.passwords, opts.passwordFile, opts.passwordFileGiven);

async function runTerminal(opts: Options): Promise<void> {
  const passwords = loadPasswords(opts);
  const { peer, store, listDirectory, publicKey } = await openRuntime(opts, (row) => {
    process.stderr.write(
      `chorus: skipped a damaged stored message ${row.id} of group ${row.groupId} (${row.reason}); it is kept in the quarantine table of ${opts.dbFile}.\n`,
    );
  });
  const terminal = new Terminal({
    peer,
    input: process.stdin,
    output: process.stdout,
    tty: process.stdin.isTTY === true && process.stdout.isTTY === true,
    color: opts.color,
    trackerUrl: opts.trackerUrl,
    groups: opts.groups,
    listDirectory,
    storedGroups: () => store.summaries(),
    passwords,
    selfKey: publicKey,
    leftDms: new FileLeftDms(join(dirname(opts.keyFile), LEFT_DMS_FILE), opts.name),
    onClosed: () => {
      void store.close().finally(() => process.exit(0));
    },
  });
  process.once('SIGTERM', () => {
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    void terminal.quit();
  });
  await terminal.start();
}

async function runArchivist(opts: Options): Promise<void> {
  const log = pino({ name: 'chorus-archivist', level: process.env['LOG_LEVEL'] ?? 'info' });
  const passwords = loadPasswords(opts);
  let archivist: Archivist | null = null;
  const { peer, store, listDirectory, restoreGroup } = await openRuntime(
    opts,
    (row) =>
      log.error(
        { groupId: row.groupId, id: row.id, reason: row.reason, db: opts.dbFile },
        'skipped a damaged stored message (kept in the quarantine table)',
      ),
    (s) => new ReportingStore(s, (groupId, ids) => archivist?.noteStored(groupId, ids)),
  );
  archivist = new Archivist({
    peer,
    store,
    log,
    trackerUrl: opts.trackerUrl,
    groups: opts.groups,
    listDirectory,
    restoreGroup,
    passwords,
  });
  const stop = (signal: string): void => {
    log.info({ signal }, 'stopping');
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    void archivist?.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // An archivist runs for months: a bug in one callback is logged, not a reason to drop every group.
  process.on('unhandledRejection', (e) => log.error({ err: e }, 'unhandled rejection'));
  await archivist.start();
}

function runStatus(opts: Options): void {
  if (!existsSync(opts.dbFile)) fail(`There is no history database at ${opts.dbFile} (give --name or --db).`);
  const store = new SqliteStore(opts.dbFile);
  const groups = store.summaries();
  const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
  const report = {
    db: opts.dbFile,
    name: opts.name,
    groups: groups.map((g) => ({
      groupId: g.groupId,
      name: g.name,
      ordering: g.ordering,
      messages: g.messages,
      lastMessageAt: iso(g.lastSentAt),
      lastSyncAt: iso(g.lastSyncAt),
    })),
    quarantined: store.quarantined().length,
    // Groups the archivist should be in but is not (a locked group without its password, a refused one, …), and why.
    notJoined: store
      .notJoined()
      .map((r) => ({ group: r.name, groupId: r.groupId, locked: r.locked, reason: r.reason, since: iso(r.since) })),
  };
  void store.close();
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

async function main(): Promise<void> {
  // `npm run cli -- --db ./x.sqlite` runs us in apps/cli; paths a person typed are relative to where they typed them.
  const typedIn = process.env['INIT_CWD'];
  if (typedIn !== undefined && typedIn !== process.cwd()) process.chdir(typedIn);
  const parsed = parseOptions(process.argv.slice(2), process.env, process.stdout.isTTY === true);
  if (!parsed.ok) fail(parsed.message);
  const opts = parsed.options;
  try {
    switch (opts.mode) {
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return;
      case 'status':
        runStatus(opts);
        return;
      case 'archive':
        await runArchivist(opts);
        return;
      case 'terminal':
        await runTerminal(opts);
        return;
    }
  } catch (e) {
    if (isUserProblem(e)) fail(e.message);
    throw e;
  }
}

await main();
