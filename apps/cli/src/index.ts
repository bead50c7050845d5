// @chorus/cli as a library, for tests and tools: the store, the key file,
// the terminal's command parser, the archivist and group passwords.
export {
  SqliteStore,
  StoreOpenError,
  SCHEMA_VERSION,
  type QuarantinedRow,
  type GroupSummaryRow,
} from './sqlite-store.ts';
export { FileKeyStore, KeyFileError, generateStorableIdentity, KEY_FILE_MODE } from './file-key-store.ts';
export { parseOptions, dirsFor, DEFAULT_TRACKER, USAGE, type Options, type Mode } from './options.ts';
export { parseTerminalLine, parseTime, BANG_ALIASES, HELP, type TerminalAction } from './terminal-commands.ts';
export { Archivist, ReportingStore, ALL_GROUPS, RECONCILE_MS, WRONG_PASSWORD_RETRY_MS } from './archivist.ts';
export { GroupPasswords, PasswordFileError, parsePasswordArg, PASSWORD_FILE_NAME } from './group-passwords.ts';
