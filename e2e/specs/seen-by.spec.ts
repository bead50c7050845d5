// "Seen by" (issue 14 point 7, docs/design.md §6): your latest message says
// who has it on their open, visible screen, from ephemeral read markers
// (PROTOCOL.md §9). Three users; someone who is looking at another group has
// not seen it until they come back to this one.

import { expect, test } from '../support/fixtures.ts';
import type { ChatTab } from '../support/chat-tab.ts';

const seenLine = (tab: ChatTab, group: string) =>
  tab
    .messagesBy(group, tab.userName)
    .last()
    .getByText(/^Seen by /);

test('your latest message says who has seen it, and follows who comes back to read', async ({
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('seen');
  const elsewhere = uniqueName('seen-other');
  const ann = (await makeUser('Ann')).tab;
  await ann.createGroup(group, 'FIFO');
  const ben = (await makeUser('Ben')).tab;
  await ben.join(group);
  const cat = (await makeUser('Cat')).tab;
  await cat.createGroup(elsewhere, 'FIFO');
  await cat.join(group);
  await expect(ann.member(group, 'Cat')).toContainText('online');

  await ann.send('first');
  await expect(seenLine(ann, group)).toHaveText('Seen by Ben, Cat');
  // Only your own latest message carries it; nobody else's screen shows it for Ann's message.
  await expect(ben.log(group).getByText(/^Seen by /)).toHaveCount(0);

  // Cat looks at another group: Ann's next message is seen by Ben only, and the older one no longer says anything.
  await cat.open(elsewhere);
  await ann.send('second');
  await expect(seenLine(ann, group)).toHaveText('Seen by Ben');
  await expect(
    ann
      .messagesBy(group, 'Ann')
      .first()
      .getByText(/^Seen by /),
  ).toHaveCount(0);
  // Cat comes back to the group and reads it.
  await cat.open(group);
  await expect(seenLine(ann, group)).toHaveText('Seen by Ben, Cat');

  // Ben answers: Ben's message is now Ben's latest, seen by Ann (and Cat); Ann's own line stays on hers.
  await ben.send('third');
  await expect(seenLine(ben, group)).toHaveText('Seen by Ann, Cat');
  await expect(seenLine(ann, group)).toHaveText('Seen by Ben, Cat');
});
