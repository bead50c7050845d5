// Typing markers (issue 14 point 4, PROTOCOL.md §9) with three users: what
// one types shows at the others as "<name> is typing…", two typers are named
// together, a typer's message takes them off, and silence does within 5 s.

import { expect, test } from '../support/fixtures.ts';
import type { ChatTab } from '../support/chat-tab.ts';

const typingLine = (tab: ChatTab) => tab.page.getByRole('status').filter({ hasText: /typing…/ });
const typeSome = async (tab: ChatTab, text: string): Promise<void> => {
  await tab.page.getByRole('textbox', { name: 'Message' }).fill(text);
};
/**
 * Types on in `tab`, a letter every half second, until the returned function is called (it resolves once the
 * typing has stopped). One fill sends one marker, shown for 5 s: on a loaded machine the steps between that
 * fill and a check of another page can take longer, and the typer would have gone quiet by then.
 */
function keepTyping(tab: ChatTab, text: string): () => Promise<void> {
  let typing = true;
  const done = (async () => {
    for (let n = 1; typing; n++) {
      await typeSome(tab, text + 'x'.repeat(n % 20));
      await tab.page.waitForTimeout(500);
    }
  })();
  return async () => {
    typing = false;
    await done;
  };
}

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

  const annTypes = keepTyping(ann, 'hel');
  await expect(typingLine(ben)).toHaveText('Ann is typing…');
  await expect(typingLine(cat)).toHaveText('Ann is typing…');
  await expect(typingLine(ann)).toHaveCount(0); // never yourself

  const benTypes = keepTyping(ben, 'wai');
  await expect(typingLine(cat)).toHaveText(/^(Ann and Ben|Ben and Ann) are typing…$/);

  await annTypes();
  await ann.page.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(cat.messagesBy(group, 'Ann')).toHaveCount(1);
  await expect(typingLine(cat)).toHaveText('Ben is typing…');

  // Ben stops typing: 5 s after his last marker the line is gone (the margin is the marker's trip on a loaded
  // machine; nothing else takes him off, he sends no message).
  await benTypes();
  await expect(typingLine(cat)).toHaveCount(0, { timeout: 15_000 });
  await expect(typingLine(ann)).toHaveCount(0);
});
