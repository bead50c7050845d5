// Chromium's in-memory (incognito) profiles ignore quota overrides, so a full
// disk is injected where the browser reports one: writes (`put`, `add`) to the
// `batches` object store (the messages, schema 4) throw QuotaExceededError while the test says the disk is full.

import type { Page } from '@playwright/test';

export const DISK_FULL_SCRIPT = `
(() => {
  window.__chorusDiskFull = false;
  for (const method of ['put', 'add']) {
    const real = IDBObjectStore.prototype[method];
    IDBObjectStore.prototype[method] = function (...args) {
      if (window.__chorusDiskFull && this.name === 'batches') {
        throw new DOMException('The disk is full (injected by the test).', 'QuotaExceededError');
      }
      return real.apply(this, args);
    };
  }
})();
`;

export async function setDiskFull(page: Page, full: boolean): Promise<void> {
  await page.evaluate((f) => {
    (window as unknown as { __chorusDiskFull: boolean }).__chorusDiskFull = f;
  }, full);
}
