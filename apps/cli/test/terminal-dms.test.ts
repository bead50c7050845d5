// Who `/dm` names and what a direct message is called at the terminal: a
// person by name, fingerprint or both; namesakes never picked by guess; a DM
// shown as @name, with the fingerprint once a namesake is known; /switch
// reaching a DM by those names and leaving groups' names to the groups.

import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChorusPeer, JoinedGroup } from '@chorus/peer';
import { fingerprint, type GroupId, type GroupSummary, type PeerId } from '@chorus/protocol';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { FileLeftDms } from '../src/dm-memory.ts';
import { DirectChats } from '../src/terminal-dms.ts';
import { tempHome } from './fixtures.ts';

const key = (byte: number): string => btoa(String.fromCharCode(...new Array<number>(32).fill(byte)));
const SELF = key(1);
const CY = key(2);
const OTHER_CY = key(3);
const DM = `d${'A'.repeat(43)}` as GroupId;
const LOUNGE = 'glounge' as GroupId;

function setup(left?: FileLeftDms): { dms: DirectChats; entered: [GroupId, boolean][]; groups: JoinedGroup[] } {
  const groups: JoinedGroup[] = [
    {
      groupId: LOUNGE,
      name: 'lounge',
      ordering: 'fifo',
      status: 'member',
      view: null,
      members: [
        { peerId: 'p1' as PeerId, name: 'Ann', publicKey: SELF, online: true },
        { peerId: 'p2' as PeerId, name: 'Cy', publicKey: CY, online: true },
      ],
    },
  ];
  const entered: [GroupId, boolean][] = [];
  const peer = {
    groups: () => groups,
    openDm: (person: { publicKey: string; name: string }): Promise<GroupSummary> =>
      Promise.resolve({
        groupId: DM,
        name: person.name,
        ordering: 'fifo',
        locked: false,
        online: 1,
        createdBy: 'Ann',
        createdAt: 0,
        dm: [
          { publicKey: SELF, name: 'Ann' },
          { publicKey: person.publicKey, name: person.name },
        ],
      }),
  } as unknown as ChorusPeer;
  const dms = new DirectChats({
    peer,
    selfKey: SELF,
    enter: (groupId, open) => {
      entered.push([groupId, open]);
      groups.push({ groupId, name: 'Cy', ordering: 'fifo', status: 'member', view: null, members: [] });
      return Promise.resolve();
    },
    notice: () => {},
    ...(left ? { left } : {}),
  });
  return { dms, entered, groups };
}

describe('DirectChats', () => {
  it('opens the DM with the one person a name fits, and calls it @name', async () => {
    const { dms, entered } = setup();
    expect(await dms.open('Ann')).toMatch(/^Nobody called "Ann"/); // yourself
    expect(await dms.open('Dee')).toMatch(/^Nobody called "Dee"/);
    expect(await dms.open('@cy')).toBeNull();
    expect(entered).toEqual([[DM, true]]);
    expect(dms.label(DM)).toBe('@Cy');
    expect(dms.label(LOUNGE)).toBeUndefined();
    expect(dms.resolve('@Cy')).toBe(DM);
    expect(dms.resolve('Cy')).toBe(DM);
    expect(dms.resolve('lounge')).toBeNull();
    expect(dms.resolve('@Dee')).toMatch(/^Nobody called "Dee"/);
  });

  it('tells namesakes apart by the fingerprint, never by guess', async () => {
    const { dms, entered } = setup();
    dms.saw({ senderKey: OTHER_CY, senderName: 'cy' } as ChatMessage);
    const both = await dms.open('Cy');
    expect(both).toContain(`Cy (${fingerprint(CY)})`);
    expect(both).toContain(`cy (${fingerprint(OTHER_CY)})`);
    expect(entered).toEqual([]);
    const typed = fingerprint(CY).replace('·', '');
    expect(await dms.open(typed)).toBeNull();
    expect(dms.label(DM)).toBe(`@Cy (${fingerprint(CY)})`);
    expect(dms.resolve(`@Cy (${fingerprint(CY)})`)).toBe(DM);
    expect(dms.resolve(fingerprint(CY))).toBe(DM);
    // The other Cy has no DM here: the name alone fits only the DM's Cy among DMs.
    expect(dms.resolve(`@Cy (${fingerprint(OTHER_CY)})`)).toMatch(/^Nobody/);
    expect(await dms.open(`Cy (${fingerprint(OTHER_CY)})`)).toBeNull();
  });

  it('a DM the person left is not joined again when the tracker lists it after a restart, until it is opened', async () => {
    const file = join(tempHome(), 'left-dms.json');
    const first = setup(new FileLeftDms(file, 'Ann'));
    expect(await first.dms.open('Cy')).toBeNull();
    first.dms.left(DM);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Restarted: a new process, the same file; the tracker's hello lists the DM (not opened just now).
    const summary = {
      groupId: DM,
      name: 'Cy',
      ordering: 'fifo',
      locked: false,
      online: 1,
      createdBy: 'Ann',
      createdAt: 0,
      dm: [
        { publicKey: SELF, name: 'Ann' },
        { publicKey: CY, name: 'Cy' },
      ],
    } as GroupSummary;
    const again = setup(new FileLeftDms(file, 'Ann'));
    expect(await again.dms.heard(summary, false)).toBeNull();
    expect(again.entered).toEqual([]);
    // Another name's memory is its own.
    const other = setup(new FileLeftDms(file, 'Bea'));
    await other.dms.heard(summary, false);
    expect(other.entered).toEqual([[DM, false]]);
    // Cy opens it again: joined, and no longer left after the next restart either.
    await again.dms.heard(summary, true);
    expect(again.entered).toEqual([[DM, false]]);
    const third = setup(new FileLeftDms(file, 'Ann'));
    await third.dms.heard(summary, false);
    expect(third.entered).toEqual([[DM, false]]);
  });
});
