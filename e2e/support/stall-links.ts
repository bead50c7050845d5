// A tab whose peer links stall without closing: from the moment the test says
// so, what arrives on this page's data channels is not handed to the app (the
// channels stay open and the senders see nothing wrong). Only a reload, which
// starts the page afresh, ends it. Emulated in the page, before
// the app's own scripts: simple-peer reads a channel through `onmessage`.

import type { Page } from '@playwright/test';

export const STALL_LINKS_SCRIPT = `
(() => {
  if (typeof RTCDataChannel !== 'function') return;
  const real = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage');
  let stalled = false;
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    configurable: true,
    get() {
      return real.get.call(this);
    },
    set(handler) {
      const held = typeof handler === 'function' ? function (event) { if (!stalled) handler.call(this, event); } : handler;
      real.set.call(this, held);
    },
  });
  window.__chorusStallLinks = () => {
    stalled = true;
  };
})();
`;

/** From now on, nothing this page's data channels receive reaches the app (until it reloads). */
export async function stallLinks(page: Page): Promise<void> {
  await page.evaluate(() => (window as unknown as { __chorusStallLinks: () => void }).__chorusStallLinks());
}
