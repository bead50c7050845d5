// Typing markers (issue 14 point 4, PROTOCOL.md §9) with three users: what
// one types shows at the others as "<name> is typing…", two typers are named
// together, a typer's message takes them off, and silence does within 5 s.

import { expect, test } from '../support/fixtures.ts';
import type { ChatTab } from '../support/chat-tab.ts';

const typingLine = (tab: ChatTab) => tab.page.getByRole('status').filter({ hasText: /typing…/ });
const typeSome = async (tab: ChatTab, text: string): Promise<void> => {
  await tab.page.getByRole('textbox', { name: 'Message' }).fill(text);
};

test('typing shows at the others, names two typers, and goes with their message or their silence', async ({
  makeUser,
  uniqueName,
}) => {
  const group = uniqueName('typing');
  const ann = (await makeUser('Ann')).tab;
  await ann.createGroup(group, 'FIFO');
  const ben = (await makeUser('Ben')).tab;
  await ben.join(group);
  const cat = (await makeUser('Cat')).tab;
  await cat.join(group);
  // Everyone is a member with links up: a message from the last joiner reaches both others.
  await cat.send('hi all');
  await expect(ann.messages(group)).toHaveCount(1);
  await expect(ben.messages(group)).toHaveCount(1);

  await typeSome(ann, 'hel');
  await expect(typingLine(ben)).toHaveText('Ann is typing…');
  await expect(typingLine(cat)).toHaveText('Ann is typing…');
  await expect(typingLine(ann)).toHaveCount(0); // never yourself

  await typeSome(ben, 'wai');
  await expect(typingLine(cat)).toHaveText(/^(Ann and Ben|Ben and Ann) are typing…$/);

  await ann.page.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(cat.messagesBy(group, 'Ann')).toHaveCount(1);
  await expect(typingLine(cat)).toHaveText('Ben is typing…');

  // Ben stops typing: within 5 s of silence the line is gone (the margin is the marker's trip).
  await expect(typingLine(cat)).toHaveCount(0, { timeout: 8_000 });
  await expect(typingLine(ann)).toHaveCount(0);
});
