// Caps on what people type that the tracker checks (tracker/parse.ts), in a
// file of their own so a UI can show them without loading the parsers.

/** Display and group names, in code points: long enough for a real name, short enough for a side bar. */
export const MAX_NAME_CHARS = 64;
/** Passwords are hashed with scrypt; a cap keeps one join from costing a lot of CPU on huge input. */
export const MAX_PASSWORD_CHARS = 256;
