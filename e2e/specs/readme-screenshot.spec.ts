// The README screenshot (docs/screenshot.png): a real chat between three
// browsers, on a fresh tracker of its own so the directory shows only this
// scene. It asserts what it shows before it takes the picture.

import { join } from 'node:path';
import { expect, test } from '../support/fixtures.ts';
import { freePort, repoRoot } from '../support/environment.ts';
import { TrackerProcess } from '../support/tracker-process.ts';

const tracker = new TrackerProcess(await freePort());
test.use({ baseURL: tracker.url });
test.beforeAll(async () => tracker.start());
test.afterAll(async () => tracker.kill());

test('three people chatting, as the README shows it', async ({ makeUser }) => {
  const alice = (await makeUser('Alice')).tab;
  await alice.createGroup('random', 'FIFO');
  await alice.createGroup('leads', 'Total', 'hunter2');
  await alice.createGroup('design-review', 'Total');
  const bob = (await makeUser('Bob')).tab;
  const carol = (await makeUser('Carol')).tab;
  await bob.join('design-review');
  await carol.join('design-review');
  await carol.join('random');
  await carol.open('design-review');

  await bob.send('Morning! Did the ISIS patch land?');
  await expect(alice.messages('design-review')).toHaveCount(1);
  await alice.send('It did: every tab shows the same order now, even with all of us typing at once.');
  await expect(carol.messages('design-review')).toHaveCount(2);
  // Carol answers Alice with a reply (its quote shows). No reaction: the machine that takes the picture may have no
  // emoji font, and a missing glyph would be in the README.
  await carol.messagesBy('design-review', 'Alice').getByRole('button', { name: 'Reply' }).click();
  await carol.send('Nice. I will re-run the crash test on the train.');
  await expect(bob.messages('design-review')).toHaveCount(3);
  await bob.send('Shift+Enter works too:\n• Enter sends\n• Shift+Enter breaks the line');
  await alice.open('design-review');

  await carol.open('random');
  await carol.send('lunch?');
  await carol.send('the noodle place has a queue, 12:30?');
  await carol.open('design-review');
  await expect.poll(() => alice.unread('random')).toBe(2);
  await expect(alice.messages('design-review')).toHaveCount(4);
  await expect(alice.log('design-review').getByText('pending')).toHaveCount(0);
  await expect(
    alice.messagesBy('design-review', 'Carol').getByRole('button', { name: /^In reply to Alice/ }),
  ).toBeVisible();

  await alice.page.screenshot({ path: join(repoRoot, 'docs/screenshot.png') });
});
