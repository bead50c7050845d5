// One tab of a user, driven the way a person would: only through roles and
// accessible names from docs/design.md §6 (the accessibility contract).

import { expect, type Locator, type Page } from '@playwright/test';

export type OrderingLabel = 'FIFO' | 'Total';

export class ChatTab {
  constructor(
    readonly page: Page,
    readonly userName: string,
  ) {}

  /**
   * Opens the app (at `path`, e.g. an invite link) and picks the display name.
   * A second tab of a user starts with the name its profile remembers (issue 14):
   * then there is no name to pick, and the header must show this user's name.
   */
  async signIn(path = '/'): Promise<void> {
    await this.page.goto(path);
    const field = this.page.getByRole('textbox', { name: 'Display name' });
    const header = this.page.getByRole('banner');
    await expect(field.or(header)).toBeVisible();
    if (await field.isVisible()) {
      await field.fill(this.userName);
      await this.page.getByRole('button', { name: 'Continue' }).click();
    } else {
      await expect(header).toContainText(this.userName);
    }
    await this.waitOnline();
  }

  async waitOnline(): Promise<void> {
    await expect(this.page.getByRole('status').filter({ hasText: /^Online$/ })).toBeVisible();
  }

  directory(): Locator {
    return this.page.getByRole('list', { name: 'Groups' });
  }

  /** The directory listitem of a group (it contains the group's name). */
  listed(group: string): Locator {
    return this.directory()
      .getByRole('listitem')
      .filter({ hasText: new RegExp(`^\\s*${escape(group)}\\b`) });
  }

  async createGroup(name: string, ordering: OrderingLabel, password?: string): Promise<void> {
    await this.page.getByRole('textbox', { name: 'Group name' }).fill(name);
    await this.page.getByRole('radiogroup', { name: 'Ordering' }).getByRole('radio', { name: ordering }).check();
    await this.page.getByRole('textbox', { name: 'Password', exact: true }).fill(password ?? '');
    await this.page.getByRole('button', { name: 'Create' }).click();
    await this.expectJoined(name);
  }

  /** Presses Join on a listed group, typing the password into its prompt when it asks for one. */
  async pressJoin(group: string, password?: string): Promise<void> {
    const item = this.listed(group);
    await item.getByRole('button', { name: 'Join' }).click();
    if (password !== undefined) {
      await item.getByRole('textbox', { name: `Password for ${group}` }).fill(password);
      await item.getByRole('button', { name: 'Join' }).click();
    }
  }

  /** Joins a listed group; a tab that is in it already (a new tab rejoins its profile's groups) just opens it. */
  async join(group: string, password?: string): Promise<void> {
    if (await this.navLink(group).isVisible()) await this.open(group);
    else await this.pressJoin(group, password);
    await this.expectJoined(group);
  }

  /** Joined: the group is in the nav, its log is open and its members list shows this user ("(you)") online. */
  async expectJoined(group: string): Promise<void> {
    await expect(this.navLink(group)).toBeVisible();
    await expect(this.log(group)).toBeVisible();
    await expect(this.you(group)).toContainText(new RegExp(`^\\s*${escape(this.userName)}(?=\\s)`));
    await expect(this.you(group)).toContainText('online');
    await expect(this.page.getByRole('status').filter({ hasText: 'Joining' })).toHaveCount(0);
  }

  navLink(group: string): Locator {
    return this.page
      .getByRole('navigation', { name: 'Joined groups' })
      .getByRole('link', { name: new RegExp(`^${escape(group)}( @\\d+ mentions?)?( \\d+ unread)?$`) });
  }

  async open(group: string): Promise<void> {
    await this.navLink(group).click();
    await expect(this.log(group)).toBeVisible();
  }

  /** The unread count shown inside the group's nav link (0 when none is shown). */
  async unread(group: string): Promise<number> {
    // The link's accessible name is "<group>" or "<group> <n> unread"; the ARIA snapshot shows it.
    const snapshot = await this.navLink(group).ariaSnapshot();
    const m = / (\d+) unread"?:?\s*$/m.exec(snapshot.split('\n')[0] ?? '');
    return m ? Number(m[1]) : 0;
  }

  /** The count of unread messages that mention you, inside the group's nav link (0 when none is shown). */
  async mentions(group: string): Promise<number> {
    const snapshot = await this.navLink(group).ariaSnapshot();
    const m = / @(\d+) mentions?/.exec(snapshot.split('\n')[0] ?? '');
    return m ? Number(m[1]) : 0;
  }

  log(group: string): Locator {
    return this.page.getByRole('log', { name: `Messages in ${group}` });
  }

  messages(group: string): Locator {
    return this.log(group).getByRole('article');
  }

  /** Message bodies in the order the log shows them. */
  async bodies(group: string): Promise<string[]> {
    return this.messages(group).getByRole('paragraph').allTextContents();
  }

  members(group: string): Locator {
    return this.page.getByRole('list', { name: `Members of ${group}` });
  }

  /** The members listitem(s) of people named `name` (several when namesakes are in the group). */
  member(group: string, name: string): Locator {
    return this.members(group)
      .getByRole('listitem')
      .filter({ hasText: new RegExp(`^\\s*${escape(name)}(?=\\s|$)`) });
  }

  /** The members listitem of one person: name and key fingerprint, `Alice (3f9a·c2)` (docs/design.md §6). */
  person(group: string, label: string): Locator {
    return this.members(group)
      .getByRole('listitem')
      .filter({ hasText: new RegExp(`^\\s*${escape(label)}`) });
  }

  /** The members listitem of this tab's own key, marked "(you)". */
  you(group: string): Locator {
    return this.members(group).getByRole('listitem').filter({ hasText: '(you)' });
  }

  /** This tab's key fingerprint, shown after its name at the top of the page (`key 3f9a·c2`). */
  async fingerprint(): Promise<string> {
    const banner = this.page.getByRole('banner');
    await expect(banner).toContainText(/key [0-9a-f]{4}·[0-9a-f]{2}/);
    const m = /key ([0-9a-f]{4}·[0-9a-f]{2})/.exec(await banner.innerText());
    if (!m?.[1]) throw new Error(`${this.userName}: no key fingerprint in the page header.`);
    return m[1];
  }

  /**
   * Messages whose author is shown as `author` (the article's accessible name: a name, or `Alice (3f9a·c2)` for
   * namesakes).
   */
  messagesBy(group: string, author: string): Locator {
    return this.log(group).getByRole('article', { name: author, exact: true });
  }

  /** Types a message and presses Enter (the open group receives it). */
  async send(text: string): Promise<void> {
    const box = this.page.getByRole('textbox', { name: 'Message' });
    await box.fill(text);
    await box.press('Enter');
    await expect(box).toHaveValue('');
  }

  async leave(group: string): Promise<void> {
    await this.page.getByRole('button', { name: `Leave ${group}` }).click();
    await expect(this.navLink(group)).toHaveCount(0);
  }
}

export function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
