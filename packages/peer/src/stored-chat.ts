// A stored message as a UI shows it: the history pages the runtime reads and
// a page's own reads of the store before the runtime is up give the same
// ChatMessage. Types only on the way in, so a UI can import it up front.

import type { ChatMessage } from './api.ts';
import type { StoredMessage } from './storage.ts';

/** A stored (delivered) message as the UI sees it (history). */
export function chatFromStored(m: StoredMessage): ChatMessage {
  return {
    id: m.id,
    groupId: m.groupId,
    sender: m.frame.sender,
    senderName: m.senderName,
    ...(m.senderKey === undefined ? {} : { senderKey: m.senderKey }),
    body: m.frame.body,
    sentAt: m.frame.sentAt,
    order: m.order,
    state: 'delivered',
    viewId: m.frame.viewId,
  };
}
