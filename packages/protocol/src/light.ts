// @chorus/protocol/light: the part of the protocol a UI needs before the peer
// runtime is loaded — ids, the caps it shows to people, and reading and
// writing message operations (PROTOCOL.md §8). Everything here is small and
// imports nothing heavy (no crypto, engine or wire parsers), so a web page can
// import it statically and keep the rest of the protocol in a lazy chunk.
// Add only what a first page needs; anything else belongs to the full entry.

export * from './ids.ts';
export * from './wire/caps.ts';
export { MAX_NAME_CHARS, MAX_PASSWORD_CHARS } from './tracker/name-caps.ts';
export * from './ops/message-op.ts';
export * from './ops/op-fold.ts';
// Who a direct message is with, and its id (PROTOCOL.md §2 Direct messages).
export { dmGroupId, otherParty } from './tracker/dm.ts';
export type { DmParties, DmParty } from './tracker/dm.ts';
// Telling namesakes apart by their key (docs/design.md §6).
export { fingerprint, nameSkeleton, withFingerprint } from './fingerprint.ts';
