// Headless Chromium never hides a page (switching or minimizing does not
// change document.visibilityState), so a "hidden tab" is emulated in the page:
// the visibility getters read a flag the test flips, and the real
// visibilitychange event is dispatched. Desktop notifications are recorded on
// the way to the real Notification constructor so the test can see them.

import type { Page } from '@playwright/test';

export const TAB_VISIBILITY_SCRIPT = `
(() => {
  let hidden = false;
  Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
  window.__chorusSetHidden = (value) => {
    hidden = value;
    document.dispatchEvent(new Event('visibilitychange'));
  };
  window.__chorusNotifications = [];
  if (typeof Notification === 'function') {
    const Real = Notification;
    window.Notification = class extends Real {
      constructor(title, options) {
        super(title, options);
        window.__chorusNotifications.push({ title, body: (options && options.body) || '' });
      }
    };
  }
})();
`;

export async function setTabHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate(
    (h) => (window as unknown as { __chorusSetHidden: (h: boolean) => void }).__chorusSetHidden(h),
    hidden,
  );
}

export async function notifications(page: Page): Promise<{ title: string; body: string }[]> {
  return page.evaluate(
    () => (window as unknown as { __chorusNotifications: { title: string; body: string }[] }).__chorusNotifications,
  );
}
