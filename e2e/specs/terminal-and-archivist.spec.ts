// apps/cli in the same mesh as Chromium users: a terminal user (the `chorus`
// command on pipes) chats with two browser users in a total-order group and
// all three see one order (live, and again through /since); an archivist
// (`chorus --archive`) keeps a group whose browsers all closed and hands its
// whole history to a new browser user, who sees it in the member list with an
// "archivist" badge.

import { LineProcess, printedMessages, tempHome } from '../../apps/cli/test/fixtures.ts';
import { expect, test } from '../support/fixtures.ts';

const processes: LineProcess[] = [];
test.afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.kill()));
});

/** Bodies of the messages a terminal printed for `group`, in the order printed. */
const terminalBodies = (p: LineProcess, group: string): string[] =>
  printedMessages(p.lines, group).map((m) => m.slice(m.indexOf(': ') + 2));

test('a terminal user and two browser users in a total-order group see one order', async ({
  user,
  makeUser,
  uniqueName,
  baseURL,
}) => {
  const group = uniqueName('term');
  await user.tab.createGroup(group, 'Total');
  const bob = (await makeUser('Bob')).tab;
  await bob.join(group);

  const cli = new LineProcess(['--name', 'Tess', '--tracker', baseURL as string, '--groups', group], {
    CHORUS_HOME: tempHome(),
  });
  processes.push(cli);
  await cli.waitForLine('Tess in the group', (l) => l.includes(`Joined ${group}`), 60_000);
  await expect(user.tab.member(group, 'Tess')).toContainText('online');

  const since = Date.now();
  for (let i = 1; i <= 4; i++) cli.write(`Tess ${i}`);
  await Promise.all(
    [user.tab, bob].map(async (tab) => {
      for (let i = 1; i <= 4; i++) await tab.send(`${tab.userName} ${i}`);
    }),
  );
  await expect(user.tab.messages(group)).toHaveCount(12);
  await expect(bob.messages(group)).toHaveCount(12);
  await expect.poll(() => terminalBodies(cli, group).length, { timeout: 30_000 }).toBe(12);
  const order = await user.tab.bodies(group);
  expect(await bob.bodies(group)).toEqual(order);
  expect(terminalBodies(cli, group)).toEqual(order);

  // /since gives the same twelve again, in the same order.
  const mark = cli.lines.length;
  cli.write(`/since ${since}`);
  await cli.waitForLine('the /since header', (l) => l.includes(`12 message(s) in ${group} since`), 30_000, mark);
  await expect.poll(() => terminalBodies(cli, group).length, { timeout: 10_000 }).toBe(24);
  expect(terminalBodies(cli, group).slice(12)).toEqual(order);

  cli.write('!q');
  expect(await cli.exited).toBe(0);
});

test('an archivist keeps a group whose browsers all closed and hands the history to a newcomer', async ({
  user,
  makeUser,
  uniqueName,
  baseURL,
}) => {
  const group = uniqueName('kept');
  await user.tab.createGroup(group, 'Total');
  const archivist = new LineProcess(
    ['--archive', '--name', 'Keeper', '--groups', group, '--tracker', baseURL as string],
    { CHORUS_HOME: tempHome() },
  );
  processes.push(archivist);
  await archivist.waitForLine('the archivist in the group', (l) => l.includes('"in group; history synced"'), 60_000);
  await expect(user.tab.member(group, 'Keeper')).toContainText('archivist');

  const bobUser = await makeUser('Bob');
  await bobUser.tab.join(group);
  for (const tab of [user.tab, bobUser.tab]) {
    for (let i = 1; i <= 3; i++) await tab.send(`${tab.userName} ${i}`);
  }
  await expect(user.tab.messages(group)).toHaveCount(6);
  await expect(bobUser.tab.messages(group)).toHaveCount(6);
  const history = await user.tab.bodies(group);

  // Every browser closes.
  await user.crash();
  await bobUser.crash();

  const carol = (await makeUser('Carol')).tab;
  await expect(carol.listed(group)).toContainText(/\b1 online/, { timeout: 30_000 });
  await carol.join(group);
  await expect(carol.messages(group)).toHaveCount(6);
  expect(await carol.bodies(group)).toEqual(history);
  await expect(carol.member(group, 'Keeper')).toContainText('archivist');
});
