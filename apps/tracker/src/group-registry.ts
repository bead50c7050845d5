// Whole groups coming and going on the tracker: creating one (with the
// total, per-key and per-address caps), restoring one a restarted tracker
// forgot from its charter, and expiring groups that stayed empty. What
// belongs here: the life of a group record; who is in a group is
// tracker-service.ts, how groups are listed tracker-directory.ts.

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { charterGroupId, err, isParty, membership, ok } from '@chorus/protocol';
import type {
  GroupCharter,
  GroupId,
  GroupSummary,
  MemberInfo,
  ParsedCreateGroup,
  ParsedOpenDm,
  ParsedRestoreGroup,
  Result,
} from '@chorus/protocol';
import { dmCharter, dmRefusal, DM_HELLO_MAX, isDm } from './direct-messages.ts';
import type { TrackerConfig } from './config.ts';
import { hashPassword, verifyPassword } from './password.ts';
import type { GroupRecord, TrackerStore } from './store/tracker-store.ts';
import { summary } from './tracker-directory.ts';

/** 128 random bits: two groups created alike in one millisecond still get different ids. */
const CHARTER_NONCE_BYTES = 16;

export class GroupRegistry {
  /** When this node first saw each group empty (no member, no joiner); see sweepEmpty. */
  private readonly emptySince = new Map<GroupId, number>();
  /** The tail of this node's cap checks with their writes (see `capped`). */
  private adding: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: TrackerStore,
    private readonly config: TrackerConfig,
    private readonly log: Logger,
    private readonly now: () => number,
    /** A group was added or removed: its directory entry changed. */
    private readonly changed: (groupId: GroupId) => void,
  ) {}

  /**
   * Whether `by` (from `address`) may add a group: total, per-key and
   * per-address caps. Checked once before the costly part (scrypt, the
   * charter's hash) and again in `capped`, with the write.
   */
  private async canAdd(creatorKey: string, address: string | undefined): Promise<Result<null>> {
    const groups = await this.store.listGroups();
    if (groups.length >= this.config.maxGroups) {
      return err(
        'too-many',
        `The tracker holds its maximum of ${this.config.maxGroups} groups; join one or try later.`,
      );
    }
    if (groups.filter((g) => !isDm(g) && g.charter?.creatorKey === creatorKey).length >= this.config.maxGroupsPerKey) {
      return err(
        'too-many',
        `You created ${this.config.maxGroupsPerKey} groups that still exist; that is the most one person may have.`,
      );
    }
    if (
      address !== undefined &&
      groups.filter((g) => !isDm(g) && g.createdFrom === address).length >= this.config.maxGroupsPerAddress
    ) {
      return err(
        'too-many',
        `${this.config.maxGroupsPerAddress} groups were created from your network address; that is the most allowed.`,
      );
    }
    return ok(null);
  }

  /**
   * A cap check and the write it allows, one at a time on this node: sessions
   * racing on several sockets cannot both pass a check that only one of them
   * may (the soak test counts a cap's worth exactly). Nodes sharing a Redis
   * store check apart, so there a cap may be passed by one group per node.
   */
  private capped<T>(check: () => Promise<Result<null>>, write: () => Promise<Result<T>>): Promise<Result<T>> {
    const run = this.adding.then(async (): Promise<Result<T>> => {
      const room = await check();
      return room.ok ? write() : room;
    });
    this.adding = run.catch(() => undefined);
    return run;
  }

  /** The caps of a direct message opened (or restored) by `key` from `address`: the total, per key, per address. */
  private async canAddDm(key: string, address: string | undefined): Promise<Result<null>> {
    const groups = await this.store.listGroups();
    if (groups.length >= this.config.maxGroups) {
      return err('too-many', `The tracker holds its maximum of ${this.config.maxGroups} groups; try later.`);
    }
    const dms = groups.filter(isDm);
    if (dms.filter((g) => g.charter?.creatorKey === key).length >= this.config.maxDmsPerKey) {
      return err(
        'too-many',
        `You opened ${this.config.maxDmsPerKey} direct messages that still exist; that is the most one person may have.`,
      );
    }
    if (address !== undefined && dms.filter((g) => g.createdFrom === address).length >= this.config.maxDmsPerAddress) {
      return err(
        'too-many',
        `${this.config.maxDmsPerAddress} direct messages were opened from your network address; that is the most allowed.`,
      );
    }
    return ok(null);
  }

  /**
   * The record of the direct message of `by`'s key and `p.publicKey`, made if
   * it does not exist (its id comes from the two keys, so whoever opens it
   * first makes the one both find). Never in the directory: nothing is pushed.
   */
  async openDm(by: MemberInfo, p: ParsedOpenDm, address?: string): Promise<Result<GroupRecord>> {
    if (p.publicKey === by.publicKey)
      return err('bad-state', 'A direct message is between two people; this is your own key.');
    const charter = await dmCharter(by, p, this.now(), randomBytes(CHARTER_NONCE_BYTES).toString('base64url'));
    const groupId = await charterGroupId(charter);
    const existing = await this.store.getGroup(groupId);
    if (existing !== null) return ok(existing);
    const made = recordOf(groupId, charter, address);
    // Its name is its id (never shown; it must not take a name people choose), shared: it never blocks a group.
    const opened = await this.capped(
      () => this.canAddDm(by.publicKey, address),
      async () => ok(await this.store.createGroup(made, true)),
    );
    if (!opened.ok) return opened;
    if (opened.value) {
      this.log.info({ groupId, by: by.peerId }, 'direct message opened');
      return ok(made);
    }
    const again = await this.store.getGroup(groupId);
    return again !== null ? ok(again) : err('internal', 'The direct message could not be stored; try again.');
  }

  /** The newest direct messages of a key (for its hello), at most DM_HELLO_MAX. */
  async dmsOf(publicKey: string): Promise<readonly GroupSummary[]> {
    const mine = (await this.store.listGroups())
      .filter((g) => g.charter?.dm !== undefined && isParty(g.charter.dm, publicKey))
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, DM_HELLO_MAX);
    return Promise.all(mine.map(async (g) => summary(g, await this.store.getMembership(g.groupId), publicKey)));
  }

  async create(by: MemberInfo, p: ParsedCreateGroup, address?: string): Promise<Result<GroupSummary>> {
    const room = await this.canAdd(by.publicKey, address);
    if (!room.ok) return room;
    const lock = p.password !== undefined ? await hashPassword(p.password) : undefined;
    const charter: GroupCharter = {
      v: 1,
      name: p.name,
      ordering: p.ordering,
      createdBy: by.name,
      creatorKey: by.publicKey,
      createdAt: this.now(),
      nonce: randomBytes(CHARTER_NONCE_BYTES).toString('base64url'),
      ...(lock !== undefined ? { lock } : {}),
    };
    const record = recordOf(await charterGroupId(charter), charter, address);
    const made = await this.capped(
      () => this.canAdd(by.publicKey, address),
      async () => ok(await this.store.createGroup(record)),
    );
    if (!made.ok) return made;
    if (!made.value) return err('name-taken', `A group named "${p.name}" already exists.`);
    this.log.info(
      { groupId: record.groupId, name: record.name, ordering: record.ordering, by: by.peerId },
      'group created',
    );
    this.changed(record.groupId);
    return ok(summary(record, undefined));
  }

  /**
   * A member re-registers a group this tracker does not know (it restarted
   * with the in-memory store). The proof: the group's charter, which hashes
   * to the id (so name, ordering and lock are the creator's, not the
   * restorer's), and for a locked group the password, checked against the
   * charter's lock. Only someone who joined once holds a charter, and only
   * someone who knows the password gets a locked group back. Views continue
   * above the member's last one. A group that exists is returned as it is,
   * so any number of members may race to restore it.
   */
  async restore(by: MemberInfo, p: ParsedRestoreGroup, address?: string): Promise<Result<GroupSummary>> {
    // A third key learns nothing of a direct message, not even whether it exists.
    const refused = dmRefusal(p.charter, by.publicKey);
    if (refused !== null) return refused;
    const existing = await this.store.getGroup(p.groupId);
    if (existing !== null) return ok(summary(existing, await this.store.getMembership(p.groupId), by.publicKey));
    if ((await charterGroupId(p.charter)) !== p.groupId) {
      return err('bad-proof', 'That charter is not the one of this group (its hash is not the group id).');
    }
    const { charter } = p;
    if (charter.lock !== undefined) {
      if (p.password === undefined)
        return err('wrong-password', `The group "${charter.name}" is locked; its password is needed to restore it.`);
      if (!(await verifyPassword(p.password, charter.lock)))
        return err('wrong-password', `That is not the password of "${charter.name}".`);
    }
    // A restore adds a group like a create: the same caps (the creator's key counts, the restorer's address).
    const record = recordOf(p.groupId, charter, address);
    // A proven group comes back under its own name even if a newer group took
    // that name meanwhile (after a restart anyone could squat it, and every
    // member's restore would fail): the two are told apart by id, lock and age.
    const made = await this.capped(
      () =>
        charter.dm !== undefined
          ? this.canAddDm(charter.creatorKey, address)
          : this.canAdd(charter.creatorKey, address),
      async () => ok(await this.store.createGroup(record, true)),
    );
    if (!made.ok) return made;
    if (!made.value) {
      const again = await this.store.getGroup(p.groupId);
      if (again !== null) return ok(summary(again, await this.store.getMembership(p.groupId), by.publicKey));
      return err('internal', 'The group could not be stored; try again.');
    }
    await this.store.updateMembership(p.groupId, (m) => membership.raiseViewFloor(m, p.viewId));
    this.log.info({ groupId: record.groupId, name: record.name, viewId: p.viewId, by: by.peerId }, 'group restored');
    this.changed(record.groupId);
    return ok(summary(record, await this.store.getMembership(p.groupId), by.publicKey));
  }

  /**
   * Removes groups nobody has been in or joining for `emptyGroupTtlMs`, as
   * this node saw them (a restarted node starts counting again: a group may
   * live longer than the TTL, never shorter). The store deletes under the
   * group's lock, so a join racing the sweep either lands first (and the
   * group stays) or finds the group gone (`not-found`).
   */
  async sweepEmpty(): Promise<number> {
    const now = this.now();
    const ms = await this.store.listMemberships();
    let removed = 0;
    for (const [groupId, m] of ms) {
      if (m.members.length > 0 || m.joining.length > 0) {
        this.emptySince.delete(groupId);
        continue;
      }
      const since = this.emptySince.get(groupId);
      if (since === undefined) {
        this.emptySince.set(groupId, now);
        continue;
      }
      if (now - since < this.config.emptyGroupTtlMs) continue;
      this.emptySince.delete(groupId);
      if (await this.store.deleteGroupIfEmpty(groupId)) {
        removed++;
        this.log.info({ groupId, emptyMs: now - since }, 'empty group expired');
        this.changed(groupId);
      }
    }
    for (const id of this.emptySince.keys()) if (!ms.has(id)) this.emptySince.delete(id);
    return removed;
  }
}

const recordOf = (groupId: GroupId, c: GroupCharter, address: string | undefined): GroupRecord => ({
  groupId,
  name: c.dm !== undefined ? groupId : c.name,
  ordering: c.ordering,
  ...(c.lock !== undefined ? { passwordHash: c.lock } : {}),
  createdBy: c.createdBy,
  createdAt: c.createdAt,
  charter: c,
  ...(address !== undefined ? { createdFrom: address } : {}),
});
