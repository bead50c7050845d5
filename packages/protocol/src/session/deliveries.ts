// What a session makes of its engine's deliveries: each settles our own send
// and reaches the store (seq-floors.ts); one the session shows already (from
// its store or a history page, `shown`) goes no further — unless it is our own
// re-issue (PROTOCOL.md §3.1), whose new frame replaces the stored one; while a hand-over is
// under way (syncing, adopting, a member's backfill) each delivery counts as
// taken, so a page asked for before it neither stores nor shows it again (S1).
// The rest become the records to store and the messages to show.

import type { MessageId } from '../ids.ts';
import type { Delivery } from '../ordering/engine.ts';
import type { ChainGuard } from './chain-check.ts';
import { took, type Sync } from './join-sync.ts';
import type { NameBook } from './name-book.ts';
import type { OwnSends } from './own-sends.ts';
import type { SeqFloors } from './seq-floors.ts';
import { chatOf, recordOf } from './session-records.ts';
import type { SessionCommand, SessionMessage, SessionRecord } from './session-types.ts';

export interface DeliveryPort {
  readonly groupId: Delivery['frame']['groupId'];
  readonly names: NameBook;
  readonly floors: SeqFloors;
  readonly sends: OwnSends;
  readonly chains: ChainGuard;
}

export interface TakenDeliveries {
  readonly records: SessionRecord[];
  /** Our own messages sent again (PROTOCOL.md §3.1 "Re-issue"), shown already: the new frames replace stored ones. */
  readonly replaced: SessionRecord[];
  /** The messages to show, by id, in delivery order. */
  readonly shown: Map<MessageId, SessionMessage>;
}

export function takeDeliveries(
  port: DeliveryPort,
  deliveries: readonly Delivery[],
  sync: Sync | null,
  now: number,
): TakenDeliveries {
  const records: SessionRecord[] = [];
  const replaced: SessionRecord[] = [];
  const shown = new Map<MessageId, SessionMessage>();
  for (const d of deliveries) {
    port.floors.reached(d.frame.sender, d.frame.seq);
    port.sends.settled(d.id);
    port.chains.heads.note([d.frame]);
    if (d.shown === true) {
      // Shown already, from the store or a history page: not again (S1). A re-issue's new frame is stored,
      // and shown again at the group's key (a total-order timeline moves it there).
      if (!port.sends.reissued(d.id)) continue;
      const r = recordOf(port.groupId, d.id, d.frame, d.order, port.names, now);
      replaced.push(r);
      shown.set(d.id, chatOf(r, d.viewId));
      continue;
    }
    if (sync !== null) {
      took(sync, [d.frame]);
      port.chains.delivered(d.frame);
    }
    const r = recordOf(port.groupId, d.id, d.frame, d.order, port.names, now);
    records.push(r);
    shown.set(d.id, chatOf(r, d.viewId));
  }
  return { records, replaced, shown };
}

/** The `store` commands for what `takeDeliveries` took: new records, then re-issued ones replacing stored copies. */
export function storeCommands(taken: TakenDeliveries): SessionCommand[] {
  const out: SessionCommand[] = [];
  if (taken.records.length > 0) out.push({ type: 'store', messages: taken.records });
  if (taken.replaced.length > 0) out.push({ type: 'store', messages: taken.replaced, replace: true });
  return out;
}
