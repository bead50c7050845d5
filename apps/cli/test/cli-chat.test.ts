// The terminal client as a person uses it, driven through a child process's
// stdin and stdout: it chats with a Node peer (packages/peer over real
// WebRTC, in its own process) through a real tracker in one total-order
// group, both see one order, the seed's `!` commands and /since work, and a
// wrong tracker or a damaged history file is reported instead of crashing.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChildPeer } from '../../../packages/peer/test/integration/child-peer.ts';
import { freePort } from '../../../packages/peer/test/integration/service-processes.ts';
import { waitFor } from '../../../packages/peer/test/scenarios/network.ts';
import { LineProcess, printedMessages as messagesIn, tempHome } from './fixtures.ts';
import { killedAfterEach, trackerForFile } from './harness.ts';

const tracker = trackerForFile();
const track = killedAfterEach();

describe('the terminal client', () => {
  it('chats with a Node peer in a total-order group: one order, ! commands, /since', async () => {
    const bob = await new ChildPeer().start(tracker.url, 'Bob');
    track(bob);
    const room = await bob.createGroup('room', 'total');
    await bob.join(room.groupId);
    await bob.send(room.groupId, 'said before Ann came');

    const home = tempHome();
    const ann = new LineProcess(['--name', 'Ann', '--tracker', tracker.url, '--groups', 'room'], { CHORUS_HOME: home });
    track(ann);
    await ann.waitForLine('Ann joined room', (l) => l.includes('Joined room'));
    // History from the sponsor is shown after the join.
    expect(messagesIn(ann.lines, 'room')).toEqual(['Bob: said before Ann came']);

    // Both write at once; a total-order group must show both the same interleaving.
    const since = Date.now();
    const sends: Promise<unknown>[] = [];
    for (let i = 1; i <= 8; i += 1) {
      ann.write(`ann ${i}`);
      sends.push(bob.send(room.groupId, `bob ${i}`));
    }
    await Promise.all(sends);
    await waitFor('17 messages at Bob', async () => (await bob.history(room.groupId)).length >= 17, 40_000);
    await waitFor('17 messages printed by Ann', () => messagesIn(ann.lines, 'room').length >= 17, 40_000);
    const bobLog = (await bob.history(room.groupId)).map((m) => `${m.senderName}: ${m.body}`);
    expect(messagesIn(ann.lines, 'room')).toEqual(bobLog);

    // The seed's commands.
    let mark = ann.lines.length;
    ann.write('!g');
    await ann.waitForLine('the group list', (l) => /^\s+\* room\s+total, 2 online/.test(l), 10_000, mark);
    mark = ann.lines.length;
    ann.write('!lm');
    await ann.waitForLine('the member list', (l) => l.includes('Members of room (2 online)'), 10_000, mark);
    await ann.waitForLine('Bob in it', (l) => /^\s+Bob\s/.test(l), 10_000, mark);

    // /since: exactly the messages sent from `since` on, in the group's order, from Ann's own store.
    const expected = (await bob.history(room.groupId))
      .filter((m) => m.sentAt >= since)
      .map((m) => `${m.senderName}: ${m.body}`);
    expect(expected).toHaveLength(16);
    mark = ann.lines.length;
    ann.write(`/since ${since}`);
    await ann.waitForLine('the /since header', (l) => l.includes('16 message(s) in room since'), 10_000, mark);
    await waitFor('the /since lines', () => messagesIn(ann.lines.slice(mark), 'room').length >= 16, 10_000);
    expect(messagesIn(ann.lines.slice(mark), 'room')).toEqual(expected);

    // !e leaves (Bob sees Ann go), !q quits cleanly.
    mark = ann.lines.length;
    ann.write('!e');
    await ann.waitForLine('left', (l) => l.includes('Left room.'), 10_000, mark);
    await waitFor(
      'Bob alone',
      () => (bob.groups().find((g) => g.groupId === room.groupId)?.view?.members.length ?? 0) === 1,
      20_000,
    );
    ann.write('!q');
    expect(await ann.exited).toBe(0);

    // Started again with no tracker in reach, Ann sees what her machine kept of the group at once.
    const offline = new LineProcess(
      ['--name', 'Ann', '--tracker', `http://127.0.0.1:${await freePort()}`, '--groups', 'room'],
      { CHORUS_HOME: home },
    );
    track(offline);
    await offline.waitForLine('the kept history', (l) => l.includes('Kept on this machine from room'), 20_000);
    await waitFor('the last messages', () => messagesIn(offline.lines, 'room').length >= 17, 10_000);
    expect(messagesIn(offline.lines, 'room')).toEqual(bobLog.slice(-20));
  });

  it('/since on a group it is not in asks the members: what was said while it was away comes back, once each, in order', async () => {
    const bob = await new ChildPeer().start(tracker.url, 'Bob');
    track(bob);
    // A locked group: /join and /since need its password, from --password or the password file.
    const hall = await bob.createGroup('hall', 'total', 'hall-pw');
    await bob.join(hall.groupId, 'hall-pw');
    const since = Date.now();
    await bob.send(hall.groupId, 'one');

    const home = tempHome();
    const ann = new LineProcess(
      ['--name', 'Ann', '--tracker', tracker.url, '--groups', 'hall', '--password', 'hall=hall-pw'],
      { CHORUS_HOME: home },
    );
    track(ann);
    await ann.waitForLine('Ann joined hall', (l) => l.includes('Joined hall'));
    ann.write('two');
    await waitFor("Ann's message at Bob", async () => (await bob.history(hall.groupId)).length === 2, 30_000);
    ann.write('!q');
    expect(await ann.exited).toBe(0);
    await waitFor(
      'Bob alone',
      () => (bob.groups().find((g) => g.groupId === hall.groupId)?.view?.members.length ?? 0) === 1,
      20_000,
    );
    await bob.send(hall.groupId, 'three, while Ann was away');
    const bobLog = (await bob.history(hall.groupId)).map((m) => `${m.senderName}: ${m.body}`);
    expect(bobLog).toEqual(['Bob: one', 'Ann: two', 'Bob: three, while Ann was away']);

    // Ann comes back without joining (and without the password): her store has two of the three, Bob has the third.
    const back = new LineProcess(['--name', 'Ann', '--tracker', tracker.url], { CHORUS_HOME: home });
    track(back);
    await back.waitForLine('connected', (l) => l.includes('Connected to the tracker'));
    let mark = back.lines.length;
    back.write(`/since ${since} hall`);
    const local = await back.waitForLine(
      'the local-only header',
      (l) => l.includes('message(s) in hall since'),
      30_000,
      mark,
    );
    expect(local).toContain('2 message(s)');
    expect(local).toContain('the group is locked');
    await waitFor('the local lines', () => messagesIn(back.lines.slice(mark), 'hall').length >= 2, 10_000);
    expect(messagesIn(back.lines.slice(mark), 'hall')).toEqual(bobLog.slice(0, 2));

    // The password goes into the owner-only file while the client runs; now the members are asked.
    writeFileSync(join(home, 'group-passwords.json'), JSON.stringify({ hall: 'hall-pw' }), { mode: 0o600 });
    mark = back.lines.length;
    back.write(`/since ${since} hall`);
    await back.waitForLine('the /since header', (l) => l.includes('message(s) in hall since'), 60_000, mark);
    const header = back.lines.slice(mark).find((l) => l.includes('message(s) in hall since'));
    expect(header).toContain('3 message(s)');
    expect(header).toContain('fetched from the members');
    await waitFor('the /since lines', () => messagesIn(back.lines.slice(mark), 'hall').length >= 3, 10_000);
    expect(messagesIn(back.lines.slice(mark), 'hall')).toEqual(bobLog);
    // It only looked in: it is not in the group afterwards, and no other line of the group was shown.
    await waitFor(
      'Bob alone again',
      () => (bob.groups().find((g) => g.groupId === hall.groupId)?.view?.members.length ?? 0) === 1,
      20_000,
    );
    mark = back.lines.length;
    back.write('!g');
    await back.waitForLine('the group list', (l) => /^\s+ hall\s+total, 1 online \(password\)/.test(l), 10_000, mark);

    // With nobody left to ask, the answer is what this machine kept, and it says so.
    await bob.close();
    mark = back.lines.length;
    back.write(`/since ${since} hall`);
    const alone = await back.waitForLine(
      'the second /since header',
      (l) => l.includes('message(s) in hall since'),
      30_000,
      mark,
    );
    expect(alone).toContain('3 message(s)');
    expect(alone).toContain('no member is online');
    await waitFor('the second /since lines', () => messagesIn(back.lines.slice(mark), 'hall').length >= 3, 10_000);
    expect(messagesIn(back.lines.slice(mark), 'hall')).toEqual(bobLog);
  });

  it('on a terminal: the prompt names the current group, colours are on, and NO_COLOR turns them off', async () => {
    const bob = await new ChildPeer().start(tracker.url, 'Bob');
    track(bob);
    const den = await bob.createGroup('den', 'fifo');
    await bob.join(den.groupId);

    const ESC = '\u001b[';
    const ann = new LineProcess(
      ['--name', 'Ann', '--tracker', tracker.url],
      { CHORUS_HOME: tempHome() },
      { pty: true },
    );
    track(ann);
    await ann.waitForLine('connected', (l) => l.includes('Connected to the tracker'));
    ann.write('!j den');
    // The prompt shows the group, in colour (readline redraws it after every line written above it).
    await ann.waitForLine('the prompt with the group', (l) => l.includes(`${ESC}36m[den]${ESC}0m> `), 30_000);
    await bob.send(den.groupId, 'hi Ann');
    const line = await ann.waitForLine("Bob's message", (l) => l.includes('hi Ann'), 30_000);
    expect(line).toMatch(
      // eslint-disable-next-line no-control-regex -- the terminal's colour codes are what is checked
      /\u001b\[2m\[\d+\]\u001b\[0m \u001b\[2m\d\d:\d\d:\d\d\u001b\[0m \u001b\[36m\[den\]\u001b\[0m \u001b\[1;\d\dmBob\u001b\[0m: hi Ann/,
    );
    // A second group: /create joins it and writes there; !w takes the writing back to den.
    ann.write('/create nook fifo');
    await ann.waitForLine('the prompt in nook', (l) => l.includes(`${ESC}36m[nook]${ESC}0m> `), 30_000);
    let mark = ann.lines.length;
    ann.write('!w den');
    await ann.waitForLine('writing to den', (l) => l.includes('Writing to den'), 10_000, mark);
    ann.write('back in den');
    await waitFor(
      "Ann's line in den at Bob",
      async () => (await bob.history(den.groupId)).some((m) => m.body === 'back in den'),
      30_000,
    );
    mark = ann.lines.length;
    ann.write('!w nowhere');
    await ann.waitForLine(
      'an unknown group refused',
      (l) => l.includes('You have not joined group called "nowhere"'),
      10_000,
      mark,
    );
    ann.write('!q');
    await ann.exited;

    const plain = new LineProcess(
      ['--name', 'Ann', '--tracker', tracker.url, '--groups', 'den'],
      { CHORUS_HOME: tempHome(), NO_COLOR: '1' },
      { pty: true },
    );
    track(plain);
    await plain.waitForLine('joined', (l) => l.includes('Joined den'), 30_000);
    await plain.waitForLine('the plain prompt', (l) => l.includes('[den]> '), 30_000);
    // eslint-disable-next-line no-control-regex -- no colour code at all
    expect(plain.lines.join('\n')).not.toMatch(/\u001b\[\d+(;\d+)*m/);
    plain.write('!q');
    await plain.exited;
  });

  it('reports a tracker it cannot reach, keeps retrying with backoff and does not crash', async () => {
    const port = await freePort();
    // On pipes with neither NO_COLOR nor FORCE_COLOR set: plain text (the retry lines would be red on a terminal).
    const ann = new LineProcess(['--name', 'Ann', '--tracker', `http://127.0.0.1:${port}`], {
      CHORUS_HOME: tempHome(),
      NO_COLOR: '',
      FORCE_COLOR: '',
    });
    // The archivist too, alongside: it logs each failure and keeps trying.
    const archivist = new LineProcess(['--archive', '--groups', 'x', '--tracker', `http://127.0.0.1:${port}`], {
      CHORUS_HOME: tempHome(),
    });
    track(ann, archivist);
    const first = await ann.waitForLine('first failure', (l) => l.includes('Cannot reach the tracker'), 30_000);
    expect(first).toContain(`http://127.0.0.1:${port}`);
    expect(first).toMatch(/Retrying in \d+ s \(attempt 1\)/);
    await ann.waitForLine('second failure', (l) => l.includes('(attempt 2)'), 30_000);
    expect(ann.proc.exitCode).toBeNull();
    expect(ann.lines.join('\n')).not.toContain('\u001b[');
    const logged = await archivist.waitForLine(
      "the archivist's second failure",
      (l) => l.includes('tracker unreachable') && l.includes('"attempt":2'),
      30_000,
    );
    expect(JSON.parse(logged)).toMatchObject({
      level: 40,
      tracker: `http://127.0.0.1:${port}`,
      attempt: 2,
      retryInMs: expect.any(Number),
    });
    expect(archivist.proc.exitCode).toBeNull();
    // Typing meanwhile is kept for when the tracker answers; Ctrl-C-like quit still works.
    ann.proc.kill('SIGTERM');
    expect(await ann.exited).not.toBeNull();
  });

  it('refuses a damaged history file with a sentence naming it, and exits', async () => {
    const home = tempHome();
    const db = join(home, 'Ann.sqlite');
    writeFileSync(db, 'not a database '.repeat(500));
    const ann = new LineProcess(['--name', 'Ann', '--tracker', tracker.url], { CHORUS_HOME: home });
    track(ann);
    expect(await ann.exited).toBe(2);
    const said = ann.lines.join('\n');
    expect(said).toContain(db);
    expect(said).toContain(`mv "${db}" "${db}.broken"`);
  });
});
