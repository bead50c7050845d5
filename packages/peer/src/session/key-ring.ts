// Who is who in one group: peerId → display name and Ed25519 public key, as
// learned from tracker views and joining notices (authoritative) or from a
// sponsor's history items (only for senders no view told us about). Owns the
// cache of imported CryptoKeys and the wait for a key that has not arrived
// yet; it never decides what to do with a frame that fails to verify.

import {
  canonicalFinalBytes,
  canonicalFinalText,
  canonicalFlushOkText,
  canonicalFlushText,
  canonicalSignedBytes,
  readPublicKey,
  verifyFinal,
  listHolds,
  verifyFlush,
  verifyFlushOk,
  verifyFrame,
  type DataFrame,
  type FinalFrame,
  type FinalItem,
  type FlushOkStatementFields,
  type FlushStatement,
  type MemberInfo,
  type PeerId,
} from '@chorus/protocol';
import { syncVerifier, type SyncVerify } from './node-ed25519.ts';

/**
 * A DATA frame may arrive before the view or joining notice that names its
 * sender (the tracker and the data channel are different paths). Wait this
 * long for the key before refusing the frame; the tracker announces a joiner
 * well before its first frame, so this only covers delivery races.
 */
export const KEY_WAIT_MS = 3_000;

/** Checked FINAL signatures kept, so the echoes that restate a FINAL cost no second check. */
const CHECKED_FINALS = 4096;

interface Entry {
  readonly name: string;
  readonly publicKey: string;
  /** True when a tracker view or notice said so; a sponsor's word never replaces it. */
  readonly fromTracker: boolean;
}

export class KeyRing {
  readonly #entries = new Map<PeerId, Entry>();
  readonly #waiters = new Map<PeerId, Set<() => void>>();
  /** Imported keys by their base64 text, so a page of one departed sender imports its key once. */
  readonly #imported = new Map<string, Promise<CryptoKey | null>>();
  /** Synchronous verifiers by key text (Node only; null where there is none). */
  readonly #sync = new Map<string, SyncVerify | null>();
  /** FINALs whose signature held, by signed text and signature (echoes restate them: checked once). */
  readonly #finals = new Set<string>();
  /** Per list object, the (group, view, sender, signature) its checked FINALs were signed under. */
  readonly #listsChecked = new WeakMap<readonly FinalItem[], Set<string>>();
  /**
   * FINAL checks under way (WebCrypto, a browser), by signed text and signature: the echoes that restate a
   * FINAL often arrive while its own check is still out, and take its verdict instead of a check each.
   */
  readonly #finalsUnderWay = new Map<string, Promise<boolean>>();

  /** Members named by the tracker (a view or a joining notice). */
  learn(members: readonly MemberInfo[]): void {
    for (const m of members) {
      const old = this.#entries.get(m.peerId);
      if (old?.fromTracker && old.publicKey === m.publicKey && old.name === m.name) continue;
      this.#entries.set(m.peerId, { name: m.name, publicKey: m.publicKey, fromTracker: true });
      this.#wake(m.peerId);
    }
  }

  /** A sender named only by a sponsor's history item: used if no view ever named it. */
  vouch(peerId: PeerId, name: string | undefined, publicKey: string): void {
    if (this.#entries.has(peerId)) return;
    this.#entries.set(peerId, { name: name ?? shortName(peerId), publicKey, fromTracker: false });
  }

  name(peerId: PeerId): string | null {
    return this.#entries.get(peerId)?.name ?? null;
  }

  publicKey(peerId: PeerId): string | null {
    return this.#entries.get(peerId)?.publicKey ?? null;
  }

  knows(peerId: PeerId): boolean {
    return this.#entries.has(peerId);
  }

  /**
   * Whether `frame` carries a valid signature of its sender. Waits up to
   * `waitMs` for an unknown sender's key; false when it never comes.
   */
  async verify(frame: DataFrame, waitMs = KEY_WAIT_MS): Promise<boolean> {
    // Node checks at once (node:crypto): WebCrypto's job there was the history path's largest single item in a
    // profile, one check per sender on every history page (bench/results/comparisons.md, "bulk pages tried and
    // reverted, signatures by node:crypto").
    const now = this.verifyNow(frame);
    if (now !== null) return now;
    const key = await this.#key(frame.sender, waitMs);
    return key !== null && verifyFrame(key, frame);
  }

  /**
   * The verdict on `frame` now, without a thread-pool round trip: null when
   * it cannot be had synchronously (a browser, or a sender whose key has not
   * arrived: then `verify` waits for it). Same verdict as `verify`.
   */
  verifyNow(frame: DataFrame): boolean | null {
    const entry = this.#entries.get(frame.sender);
    return entry === undefined ? null : this.#frameNow(entry.publicKey, frame);
  }

  /** `frame` checked against `publicKey` by a synchronous verifier, or null where there is none (a browser). */
  #frameNow(publicKey: string, frame: DataFrame): boolean | null {
    const check = this.#syncFor(publicKey);
    if (check === null) return null;
    let bytes: Uint8Array;
    try {
      bytes = canonicalSignedBytes(frame);
    } catch {
      return false; // as verifyFrame: a frame that has no canonical text carries no valid signature
    }
    return check(bytes, frame.sig);
  }

  /**
   * Whether a FINAL (or one an echo restates, `finalOfEcho`) carries its sender's signature, now: null
   * when that cannot be had synchronously (then `verifyFinal`). A FINAL checked before (an echo restates
   * what the sender sent us) is not checked again.
   */
  verifyFinalNow(f: FinalFrame): boolean | null {
    // A FINAL signed in a list (PROTOCOL.md §1.2c): the signature covers the list, which must hold its entry.
    if (!listHolds(f)) return false;
    // The other entries of a list object checked before (an ECHO restates up to 64 of one list): no text
    // of the whole list made and hashed again per entry.
    const listed = f.list === undefined || f.sig === undefined ? undefined : listedKey(f);
    if (listed !== undefined && f.list !== undefined && this.#listsChecked.get(f.list)?.has(listed) === true)
      return true;
    const text = `${canonicalFinalText(f)}${f.sig ?? ''}`;
    let valid: boolean | null = this.#finals.has(text);
    if (!valid) {
      const entry = this.#entries.get(f.sender);
      if (entry === undefined || f.sig === undefined) return f.sig === undefined ? false : null;
      const check = this.#syncFor(entry.publicKey);
      if (check === null) return null;
      valid = check(canonicalFinalBytes(f), f.sig);
      if (valid) this.#checked(text);
    }
    if (valid && listed !== undefined && f.list !== undefined) {
      const seen = this.#listsChecked.get(f.list) ?? new Set<string>();
      seen.add(listed);
      this.#listsChecked.set(f.list, seen);
    }
    return valid;
  }

  /** As verifyFinalNow, waiting up to `waitMs` for an unknown sender's key. */
  async verifyFinal(f: FinalFrame, waitMs = KEY_WAIT_MS): Promise<boolean> {
    const now = this.verifyFinalNow(f);
    if (now !== null) return now;
    const text = `${canonicalFinalText(f)}${f.sig ?? ''}`;
    const under = `${waitMs}:${text}`;
    const known = this.#finalsUnderWay.get(under);
    if (known !== undefined) return known;
    const check = (async (): Promise<boolean> => {
      const key = await this.#key(f.sender, waitMs);
      const valid = key !== null && f.sig !== undefined && (await verifyFinal(key, f, f.sig));
      if (valid) this.#checked(text);
      return valid;
    })();
    this.#finalsUnderWay.set(under, check);
    const done = (): void => void this.#finalsUnderWay.delete(under);
    check.then(done, done);
    return check;
  }

  /**
   * Whether a FLUSH report's statement carries its reporter's signature (PROTOCOL.md §3.4 "Signed
   * reports"), waiting up to `waitMs` for its key. Every part of a report and every FLUSH-OK that
   * restates it carries the same statement: one checked before is not checked again.
   */
  async verifyStatement(s: FlushStatement, waitMs = KEY_WAIT_MS): Promise<boolean> {
    const text = `${canonicalFlushText(s)}${s.sig}`;
    if (this.#finals.has(text)) return true;
    const key = await this.#key(s.reporter, waitMs);
    const valid = key !== null && (await verifyFlush(key, s, s.sig));
    if (valid) this.#checked(text);
    return valid;
  }

  /**
   * Whether a FLUSH-OK's statement carries its sender's signature (PROTOCOL.md §3.4 "Relay"), waiting
   * up to `waitMs` for its key. A FLUSH-OK relayed to us after we took it directly is not checked again.
   */
  async verifyFlushOkStatement(s: FlushOkStatementFields, sig: string, waitMs = KEY_WAIT_MS): Promise<boolean> {
    const text = `${canonicalFlushOkText(s)}${sig}`;
    if (this.#finals.has(text)) return true;
    const key = await this.#key(s.sender, waitMs);
    const valid = key !== null && (await verifyFlushOk(key, s, sig));
    if (valid) this.#checked(text);
    return valid;
  }

  #checked(text: string): void {
    this.#finals.add(text);
    if (this.#finals.size > CHECKED_FINALS) this.#finals.delete(this.#finals.values().next().value as string);
  }

  #syncFor(publicKey: string): SyncVerify | null {
    let check = this.#sync.get(publicKey);
    if (check === undefined) {
      check = syncVerifier(publicKey);
      this.#sync.set(publicKey, check);
    }
    return check;
  }

  /** Verifies with an explicit base64 key (a history item's `senderKey`), through the same cache. */
  async verifyWith(frame: DataFrame, publicKey: string): Promise<boolean> {
    const now = this.#frameNow(publicKey, frame);
    if (now !== null) return now;
    const key = await this.#import(publicKey);
    return key !== null && verifyFrame(key, frame);
  }

  #import(publicKey: string): Promise<CryptoKey | null> {
    let key = this.#imported.get(publicKey);
    if (!key) {
      key = readPublicKey(publicKey).then((r) => (r.ok ? r.value : null));
      this.#imported.set(publicKey, key);
    }
    return key;
  }

  async #key(peerId: PeerId, waitMs: number): Promise<CryptoKey | null> {
    let entry = this.#entries.get(peerId);
    if (!entry && waitMs > 0) {
      await this.#waitFor(peerId, waitMs);
      entry = this.#entries.get(peerId);
    }
    if (!entry) return null;
    return this.#import(entry.publicKey);
  }

  #waitFor(peerId: PeerId, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(peerId);
      if (!set) {
        set = new Set();
        this.#waiters.set(peerId, set);
      }
      const s = set;
      const done = (): void => {
        clearTimeout(timer);
        s.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      s.add(done);
    });
  }

  #wake(peerId: PeerId): void {
    const set = this.#waiters.get(peerId);
    if (!set) return;
    this.#waiters.delete(peerId);
    for (const done of [...set]) done();
  }

  /** Release every waiter (the session is closing). */
  close(): void {
    for (const peer of [...this.#waiters.keys()]) this.#wake(peer);
  }
}

/** What, besides the list itself, a list-signed FINAL's signature covers (canonicalFinalsText). */
const listedKey = (f: FinalFrame): string =>
  `${f.groupId}\u0000${f.viewId}\u0000${f.sender}\u0000${f.list?.length ?? 0}\u0000${f.sig ?? ''}`;

/** What to call a sender nobody named: the start of its peer id, as a UI shows unknown users. */
export const shortName = (peerId: PeerId): string => `peer-${peerId.slice(0, 6)}`;
