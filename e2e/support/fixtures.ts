// Users as fixtures, the way element-web's Playwright suite builds them:
// `test.use({ displayName: 'Alice' })` gives a signed-in `user`; `makeUser`
// adds more. One browser context per user (its own IndexedDB, so its own
// identity), one page per tab.

import { test as base, type Browser, type BrowserContext } from '@playwright/test';
import { ChatTab } from './chat-tab.ts';

export class User {
  readonly tabs: ChatTab[] = [];
  #closed = false;

  constructor(
    readonly name: string,
    readonly context: BrowserContext,
  ) {}

  /** A new tab of this user, signed in with the same name (same key pair, a new session). */
  async openTab(): Promise<ChatTab> {
    const tab = new ChatTab(await this.context.newPage(), this.name);
    await tab.signIn();
    this.tabs.push(tab);
    return tab;
  }

  get tab(): ChatTab {
    const first = this.tabs[0];
    if (!first) throw new Error(`${this.name} has no open tab.`);
    return first;
  }

  /** Closes every tab at once, like a crashed browser: no leave is sent. */
  async crash(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.context.close();
  }
}

export interface UserOptions {
  /** Browser permissions granted to the user's context before sign-in (e.g. 'notifications'). */
  readonly permissions?: readonly string[];
  /** Scripts every tab of the user runs before the app (see tab-visibility.ts). */
  readonly initScripts?: readonly string[];
  readonly viewport?: { readonly width: number; readonly height: number };
  /** Runs on the user's context before its first tab opens (routing, e.g. block-signals.ts). */
  readonly setup?: (context: BrowserContext) => Promise<void>;
}

export interface Fixtures {
  /** The display name of the default `user`. */
  displayName: string;
  /** Builds another signed-in user with one tab. */
  makeUser: (name: string, options?: UserOptions) => Promise<User>;
  user: User;
  /** A group name unique to this test (the tracker outlives tests, and names are unique). */
  uniqueName: (prefix: string) => string;
}

async function newUser(
  browser: Browser,
  baseURL: string | undefined,
  name: string,
  options: UserOptions,
): Promise<User> {
  const context = await browser.newContext({
    ...(baseURL ? { baseURL } : {}),
    viewport: options.viewport ?? { width: 1280, height: 800 },
    permissions: [...(options.permissions ?? [])],
  });
  for (const script of options.initScripts ?? []) await context.addInitScript(script);
  await options.setup?.(context);
  const user = new User(name, context);
  await user.openTab();
  return user;
}

export const test = base.extend<Fixtures>({
  displayName: ['Alice', { option: true }],
  makeUser: async ({ browser, baseURL }, use) => {
    const users: User[] = [];
    await use(async (name, options = {}) => {
      const user = await newUser(browser, baseURL, name, options);
      users.push(user);
      return user;
    });
    for (const u of users) await u.crash().catch(() => {});
  },
  user: async ({ makeUser, displayName }, use) => {
    await use(await makeUser(displayName));
  },
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
  uniqueName: async ({}, use, testInfo) => {
    let n = 0;
    await use(
      (prefix) => `${prefix}-${testInfo.workerIndex}${testInfo.repeatEachIndex}-${Date.now().toString(36)}${++n}`,
    );
  },
});

export { expect } from '@playwright/test';
