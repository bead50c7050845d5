// Browsers behind TURN only (issue 11): each describe owns a coturn on
// loopback and a tracker that hands out TURN REST credentials for it with
// ICE_TRANSPORT_POLICY=relay, so Chromium may use relay candidates only and
// every data channel crosses coturn. Proof from both ends: every connected
// RTCPeerConnection of every page selected a relay/relay candidate pair
// (getStats), and coturn's log shows each user's session (TURN username
// `${expiry}:${peerId}`) allocating a relay and binding channels to peers. A tracker whose secret coturn does not share
// must give the joining user an error naming TURN, not an endless "Joining…".
//
// Needs `turnserver` (Debian: coturn); without it these tests fail with the
// install hint (.ci/run installs it).

import { expect, test } from '../support/fixtures.ts';
import { freePort } from '../support/environment.ts';
import { RTC_RECORDER_SCRIPT, selectedPairs } from '../support/ice-stats.ts';
import { TrackerProcess } from '../support/tracker-process.ts';
import { Coturn } from '../../packages/peer/test/integration/coturn.ts';

const SECRET = 'chorus-e2e-turn-secret';

const relayOnlyEnv = (turn: Coturn, secret: string): Record<string, string> => ({
  ICE_SERVERS: JSON.stringify([{ urls: turn.url }]),
  TURN_SECRET: secret,
  ICE_TRANSPORT_POLICY: 'relay',
});

const [relayPort, refusedPort] = [await freePort(), await freePort()];

test.describe('relay-only ICE through coturn', () => {
  let turn: Coturn;
  let tracker: TrackerProcess;
  test.use({ baseURL: `http://127.0.0.1:${relayPort}` });
  test.beforeAll(async () => {
    turn = await Coturn.start(SECRET);
    tracker = new TrackerProcess(relayPort, relayOnlyEnv(turn, SECRET));
    await tracker.start();
  });
  test.afterAll(async () => {
    await tracker?.kill();
    await turn?.stop();
  });

  test('three users chat in a total-order group through TURN only, and a late joiner gets the history through it', async ({
    makeUser,
    uniqueName,
  }) => {
    const recorded = { initScripts: [RTC_RECORDER_SCRIPT] };
    const group = uniqueName('turn');
    const user = await makeUser('Alice', recorded);
    await user.tab.createGroup(group, 'Total');
    const bob = await makeUser('Bob', recorded);
    const carol = await makeUser('Carol', recorded);
    for (const u of [bob, carol]) await u.tab.join(group);
    const tabs = [user.tab, bob.tab, carol.tab];
    for (const tab of tabs) await expect(tab.member(group, 'Carol')).toContainText('online');

    await Promise.all(
      tabs.map(async (tab) => {
        for (let i = 1; i <= 4; i++) await tab.send(`${tab.userName} ${i}`);
      }),
    );
    for (const tab of tabs) await expect(tab.messages(group)).toHaveCount(12);
    const reference = await user.tab.bodies(group);
    expect(new Set(reference).size).toBe(12);
    for (const tab of tabs.slice(1)) expect(await tab.bodies(group)).toEqual(reference);
    for (const tab of tabs) await expect(tab.log(group).getByText('pending')).toHaveCount(0);

    for (const tab of tabs) {
      const pairs = await selectedPairs(tab.page);
      expect(pairs.length, `${tab.userName}'s open data channels`).toBeGreaterThanOrEqual(2);
      for (const p of pairs)
        expect(p, `${tab.userName}'s selected ICE pair`).toEqual({ policy: 'relay', local: 'relay', remote: 'relay' });
    }
    // Three sessions, three TURN usernames with a relay each and channels bound through it.
    expect(turn.allocatedUsers().length, turn.log().slice(-3_000)).toBeGreaterThanOrEqual(3);
    expect(turn.boundPeers().size).toBeGreaterThanOrEqual(3);

    const dave = await makeUser('Dave', recorded);
    await dave.tab.join(group);
    await expect(dave.tab.messages(group)).toHaveCount(12);
    expect(await dave.tab.bodies(group)).toEqual(reference);
    await dave.tab.send('Dave 1');
    for (const tab of [...tabs, dave.tab]) await expect(tab.messages(group)).toHaveCount(13);
    for (const tab of tabs) expect(await tab.bodies(group)).toEqual(await dave.tab.bodies(group));
    const davePairs = await selectedPairs(dave.tab.page);
    expect(davePairs.length).toBeGreaterThanOrEqual(3);
    for (const p of davePairs) expect(p).toEqual({ policy: 'relay', local: 'relay', remote: 'relay' });
    expect(turn.allocatedUsers().length).toBeGreaterThanOrEqual(4);
    expect(turn.boundPeers().size).toBeGreaterThanOrEqual(4);
  });
});

test.describe('a TURN secret coturn does not share', () => {
  let turn: Coturn;
  let tracker: TrackerProcess;
  test.use({ baseURL: `http://127.0.0.1:${refusedPort}` });
  test.beforeAll(async () => {
    turn = await Coturn.start(SECRET);
    tracker = new TrackerProcess(refusedPort, relayOnlyEnv(turn, 'not-the-secret-coturn-has'));
    await tracker.start();
  });
  test.afterAll(async () => {
    await tracker?.kill();
    await turn?.stop();
  });

  test('the joining user is told that TURN refused, instead of joining forever', async ({
    user,
    makeUser,
    uniqueName,
  }) => {
    const group = uniqueName('turn-refused');
    await user.tab.createGroup(group, 'Total');
    const bob = await makeUser('Bob');
    await bob.tab.pressJoin(group);
    await expect(bob.tab.listed(group).getByRole('alert')).toContainText(
      /TURN server gave no relay address \(turn:127\.0\.0\.1:\d+\S* answered 401/,
    );
    await expect(bob.tab.page.getByRole('status').filter({ hasText: 'Joining' })).toHaveCount(0);
    // Alice stays the group's only member and can still write in it.
    await expect(user.tab.member(group, 'Bob')).toHaveCount(0);
    await user.tab.send('still here');
    await expect(user.tab.messages(group)).toHaveCount(1);
    expect([...turn.unauthorizedUsers()].length).toBeGreaterThanOrEqual(1);
  });
});
