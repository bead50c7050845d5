// The terminal client's message operations and direct messages, driven as a
// person types them into a child process: every message line starts with a
// number ([12]) that /reply, /react, /unreact, /edit and /delete take; a
// Node peer (the runtime the web app runs) sees each operation folded as the
// web app would show it; refusals a person can foresee are sentences and
// send nothing. Two terminal users open a direct message with /dm (a
// namesake told apart by the key fingerprint) and write to each other; the
// third member of their group and the namesake get none of it.

import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '@chorus/peer';
import { dmGroupId, fingerprint, foldLog, MAX_BODY_CHARS, type GroupId } from '@chorus/protocol';
import { ChildPeer } from '../../../packages/peer/test/integration/child-peer.ts';
import { waitFor } from '../../../packages/peer/test/scenarios/network.ts';
import { LineProcess, tempHome } from './fixtures.ts';
import { killedAfterEach, trackerForFile } from './harness.ts';

const tracker = trackerForFile();
const track = killedAfterEach();

/** The number in front of a printed message line. */
const refOf = (line: string): number => Number(/^\[(\d+)\] /.exec(line)?.[1] ?? NaN);

/** What a member shows for a group's log, folded as the web app folds it (PROTOCOL.md §8). */
const shown = (groupId: GroupId, log: readonly ChatMessage[]) =>
  [...foldLog(groupId, log).views]
    .sort((a, b) => log.findIndex((m) => m.id === a.id) - log.findIndex((m) => m.id === b.id))
    .map((v) => ({
      text: v.text,
      replyTo: v.replyTo,
      edited: v.edited,
      deleted: v.deleted,
      reactions: v.reactions.map((r) => `${r.emoji}×${r.keys.length}`),
    }));

const startTerminal = (name: string, group: string): LineProcess =>
  new LineProcess(['--name', name, '--tracker', tracker.url, '--groups', group], { CHORUS_HOME: tempHome() });

describe('the terminal client: message operations and direct messages', () => {
  it('replies, reacts, edits and deletes by the number in front of a line, and a Node peer sees each', async () => {
    const bob = await new ChildPeer().start(tracker.url, 'Bob');
    track(bob);
    const room = await bob.createGroup('ops', 'total');
    await bob.join(room.groupId);
    const hello = await bob.send(room.groupId, 'hello from Bob');

    const ann = startTerminal('Ann', 'ops');
    track(ann);
    await ann.waitForLine('Ann joined ops', (l) => l.includes('Joined ops'));
    const bobRef = refOf(await ann.waitForLine("Bob's line", (l) => l.endsWith('[ops] Bob: hello from Bob')));
    ann.write('mine');
    const mineRef = refOf(await ann.waitForLine("Ann's own line", (l) => l.endsWith('[ops] Ann: mine')));
    expect(mineRef).toBe(bobRef + 1);

    // Refusals a person can foresee: a sentence each, nothing sent.
    let mark = ann.lines.length;
    ann.write(`/edit ${bobRef} changed`);
    await ann.waitForLine(
      'not yours',
      (l) => l === `!! Message [${bobRef}] is Bob's: you can edit only your own messages.`,
      10_000,
      mark,
    );
    ann.write(`/delete ${bobRef}`);
    await ann.waitForLine('not yours either', (l) => l.includes('you can delete only your own'), 10_000, mark);
    ann.write('/reply 999 hi');
    await ann.waitForLine('an unknown number', (l) => l.startsWith('!! There is no message [999]'), 10_000, mark);
    ann.write(`/reply ${bobRef} ${'x'.repeat(MAX_BODY_CHARS)}`);
    const long = await ann.waitForLine('too long', (l) => l.includes('Not sent: a reply has at most'), 10_000, mark);
    expect(long).toContain(`(this one has ${MAX_BODY_CHARS})`);
    ann.write(`/react ${bobRef} not one`);
    await ann.waitForLine('not a reaction', (l) => l.includes('"not one" is not a reaction'), 10_000, mark);
    ann.write('/reply twelve hi');
    await ann.waitForLine('a usage line', (l) => l.startsWith('!! Usage: /reply <n> <text>'), 10_000, mark);
    expect((await bob.history(room.groupId)).map((m) => m.body)).toEqual(['hello from Bob', 'mine']);

    // The operations, as typed; Bob's runtime folds them as the web app shows them.
    mark = ann.lines.length;
    ann.write(`/reply ${bobRef} hi Bob`);
    ann.write(`/react ${bobRef} 👍`);
    ann.write(`/edit ${mineRef} mine, edited`);
    await waitFor('the three operations at Bob', async () => (await bob.history(room.groupId)).length === 5, 30_000);
    const mine = (await bob.history(room.groupId))[1] as ChatMessage;
    expect(shown(room.groupId, await bob.history(room.groupId))).toEqual([
      { text: 'hello from Bob', replyTo: null, edited: false, deleted: false, reactions: ['👍×1'] },
      { text: 'mine, edited', replyTo: null, edited: true, deleted: false, reactions: [] },
      { text: 'hi Bob', replyTo: hello.id, edited: false, deleted: false, reactions: [] },
    ]);
    // Ann's terminal writes each as a line naming the message by its number.
    const replyLine = await ann.waitForLine(
      'the reply line',
      (l) => l.includes(`Ann: (reply to Bob's message [${bobRef}] from `) && l.endsWith(') hi Bob'),
      10_000,
      mark,
    );
    expect(refOf(replyLine)).toBe(mineRef + 1);
    await ann.waitForLine('the reaction line', (l) => l.includes(`-- Ann reacted 👍 to Bob's message [${bobRef}]`));
    await ann.waitForLine('the edit line', (l) => l.includes(`-- Ann edited their message [${mineRef}] from `));

    // Taking the reaction back and deleting her message; a deleted message takes no more edits.
    ann.write(`/unreact ${bobRef} 👍`);
    ann.write(`/delete ${mineRef}`);
    await waitFor('the two operations at Bob', async () => (await bob.history(room.groupId)).length === 7, 30_000);
    expect(shown(room.groupId, await bob.history(room.groupId))).toEqual([
      { text: 'hello from Bob', replyTo: null, edited: false, deleted: false, reactions: [] },
      { text: '', replyTo: null, edited: false, deleted: true, reactions: [] },
      { text: 'hi Bob', replyTo: hello.id, edited: false, deleted: false, reactions: [] },
    ]);
    expect(mine.body).toBe('mine');
    await ann.waitForLine('the delete line', (l) => l.includes(`-- Ann deleted their message [${mineRef}]`));
    mark = ann.lines.length;
    ann.write(`/edit ${mineRef} again`);
    await ann.waitForLine('deleted already', (l) => l === `!! Message [${mineRef}] is deleted already.`, 10_000, mark);
    ann.write('!q');
    expect(await ann.exited).toBe(0);
    expect(await bob.history(room.groupId)).toHaveLength(7);
  });

  it('a direct message between two terminal users reaches only them; a namesake is told apart by the fingerprint', async () => {
    const bob = await new ChildPeer().start(tracker.url, 'Bob');
    track(bob);
    const lounge = await bob.createGroup('lounge', 'fifo');
    await bob.join(lounge.groupId);
    // Ann first, so she sees both Cys come in (a person /dm can name is one seen in a joined group).
    const ann = startTerminal('Ann', 'lounge');
    track(ann);
    await ann.waitForLine('Ann joined', (l) => l.includes('Joined lounge'));
    const cy = startTerminal('Cy', 'lounge');
    const otherCy = startTerminal('Cy', 'lounge');
    track(cy, otherCy);
    await Promise.all([cy, otherCy].map((p) => p.waitForLine('joined', (l) => l.includes('Joined lounge'))));
    const keys = async (): Promise<Map<string, string[]>> => {
      const members = bob.groups().find((g) => g.groupId === lounge.groupId)?.members ?? [];
      const byName = new Map<string, string[]>();
      for (const m of members) byName.set(m.name, [...(byName.get(m.name) ?? []), m.publicKey]);
      return byName;
    };
    await waitFor('four members at Bob', async () => [...(await keys()).values()].flat().length === 4, 30_000);
    // Which of the two Cy processes has which key: the one Bob saw first is whichever; ask each by a message.
    cy.write('I am the first Cy');
    await waitFor("the first Cy's line at Bob", async () => (await bob.history(lounge.groupId)).length === 1, 30_000);
    const cyKey = (await bob.history(lounge.groupId))[0]?.senderKey as string;
    const annKey = (await keys()).get('Ann')?.[0] as string;
    await waitFor('Ann sees both Cys', () => ann.lines.filter((l) => / -- Cy joined$/.test(l)).length === 2, 30_000);

    // Two people are called Cy: /dm says so and names both by their fingerprints.
    let mark = ann.lines.length;
    ann.write('/dm Cy');
    const both = await ann.waitForLine(
      'two namesakes',
      (l) => l.includes('Several people are called "Cy"'),
      10_000,
      mark,
    );
    expect(both).toContain(`Cy (${fingerprint(cyKey)})`);
    ann.write(`/dm ${fingerprint(cyKey)}`);
    const label = `@Cy (${fingerprint(cyKey)})`;
    await ann.waitForLine('the DM open', (l) => l === `-- Joined ${label}: your messages go there.`, 30_000, mark);
    await cy.waitForLine('the DM heard', (l) => l === '-- Direct message @Ann: /switch @Ann to write there.', 30_000);

    ann.write('psst, first Cy');
    await cy.waitForLine("Ann's DM", (l) => l.endsWith('[@Ann] Ann: psst, first Cy'), 30_000);
    mark = cy.lines.length;
    cy.write('/switch @Ann');
    await cy.waitForLine('writing to the DM', (l) => l === '-- Writing to @Ann: your messages go there.', 10_000, mark);
    cy.write('hi Ann');
    await ann.waitForLine("Cy's answer", (l) => l.endsWith(`[${label}] Cy: hi Ann`), 30_000);
    // Ann's reference names the DM's message: a reply goes to the DM.
    const ref = refOf(ann.lines.find((l) => l.endsWith('Cy: hi Ann')) as string);
    ann.write(`/reply ${ref} got it`);
    await cy.waitForLine('the reply in the DM', (l) => l.includes('[@Ann] Ann: (reply to ') && l.endsWith(') got it'));

    // Nobody else has any of it: Bob is in no other group, the other Cy showed none of it, and the tracker
    // refuses Bob the DM's id.
    const dm = await dmGroupId(annKey, cyKey);
    expect(bob.groups().map((g) => g.groupId)).toEqual([lounge.groupId]);
    expect((await bob.history(lounge.groupId)).map((m) => m.body)).toEqual(['I am the first Cy']);
    await expect(bob.join(dm)).rejects.toThrow(/only they can join/);
    expect(otherCy.lines.join('\n')).not.toMatch(/psst|hi Ann|got it|@Ann/);
    // /switch takes Ann back to the group and to the DM again by its name.
    mark = ann.lines.length;
    ann.write('/switch lounge');
    await ann.waitForLine('back in lounge', (l) => l === '-- Writing to lounge: your messages go there.', 10_000, mark);
    ann.write(`/switch ${label}`);
    await ann.waitForLine(
      'back in the DM',
      (l) => l === `-- Writing to ${label}: your messages go there.`,
      10_000,
      mark,
    );
  });
});
