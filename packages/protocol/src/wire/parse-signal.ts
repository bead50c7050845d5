// The readers of parse-frame.ts for the two frames that are not part of a group's log:
// ephemeral signals (typing and read markers, PROTOCOL.md §9) and the chunks of a frame
// split for the channel. Same rules as parse-frame.ts: never trust, throw FieldRejection.

import type { GroupId, MessageId } from '../ids.ts';
import { groupOfMessageId } from '../ops/message-op.ts';
import {
  CHUNK_THRESHOLD_BYTES,
  MAX_CHUNK_ID_CHARS,
  MAX_CHUNKS,
  MAX_GROUP_ID_CHARS,
  MAX_PEER_ID_CHARS,
} from './caps.ts';
import { field, FieldRejection, hasField, readInteger, readString, type JsonObject } from './field-reader.ts';
import type { ChunkFrame, SignalFrame } from './frames.ts';

/** Longest `seen` of a read marker: `group/sender:seq` with the longest group, peer id and seq. */
const MAX_MESSAGE_ID_CHARS = MAX_GROUP_ID_CHARS + 1 + MAX_PEER_ID_CHARS + 1 + 16;

/** A typing or read marker (PROTOCOL.md §9). No other field is allowed: the frame stays small and unambiguous. */
export function readSignal(o: JsonObject, groupId: GroupId): SignalFrame {
  const kind = readString(field(o, 'kind', 'signal'), 'signal.kind', 16);
  const extra = Object.keys(o).filter((k) => !['t', 'groupId', 'kind', 'seen'].includes(k));
  if (extra.length > 0) throw new FieldRejection('bad-type', `signal has a field it may not carry: "${extra[0]}".`);
  if (kind === 'typing') {
    if (hasField(o, 'seen')) throw new FieldRejection('bad-type', 'signal.seen comes only with kind "read".');
    return { t: 'signal', groupId, kind };
  }
  if (kind !== 'read') throw new FieldRejection('bad-type', `signal.kind is "${kind}"; it must be "typing" or "read".`);
  const seen = readString(field(o, 'seen', 'signal'), 'signal.seen', MAX_MESSAGE_ID_CHARS, 1);
  if (groupOfMessageId(seen) !== groupId)
    throw new FieldRejection('bad-type', `signal.seen "${seen}" is not a message id of group "${groupId}".`);
  return { t: 'signal', groupId, kind, seen: seen as MessageId };
}

export function readChunk(o: JsonObject): ChunkFrame {
  const id = readString(field(o, 'id', 'chunk'), 'chunk.id', MAX_CHUNK_ID_CHARS, 1);
  const count = readInteger(field(o, 'count', 'chunk'), 'chunk.count', 1);
  if (count > MAX_CHUNKS)
    throw new FieldRejection('too-many', `chunk.count is ${count}; a frame has at most ${MAX_CHUNKS} chunks.`);
  const index = readInteger(field(o, 'index', 'chunk'), 'chunk.index', 0);
  if (index >= count) throw new FieldRejection('bad-type', `chunk.index ${index} is outside 0..${count - 1}.`);
  const part = readString(field(o, 'part', 'chunk'), 'chunk.part', CHUNK_THRESHOLD_BYTES);
  return { t: 'chunk', id, index, count, part };
}
