// @chorus/cli as a library, for tests and tools: the store, the key file,
// the terminal's command parser and the archivist.
export { SqliteStore, StoreOpenError, SCHEMA_VERSION, type QuarantinedRow, type GroupSummaryRow } from './sqlite-store.ts';
export { FileKeyStore, KeyFileError, generateStorableIdentity, KEY_FILE_MODE } from './file-key-store.ts';
export { parseOptions, dirsFor, DEFAULT_TRACKER, USAGE, type Options, type Mode } from './options.ts';
export { parseTerminalLine, parseTime, BANG_ALIASES, HELP, type TerminalAction } from './terminal-commands.ts';
export { Archivist, ReportingStore, ALL_GROUPS, RECONCILE_MS } from './archivist.ts';
