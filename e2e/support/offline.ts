// Keeps one tab away from the tracker (HTTP long-polling and WebSocket) until
// the test lets it through, without touching the page's own files.

import type { Page } from '@playwright/test';

export interface TrackerGate {
  open(): void;
}

export async function gateTracker(page: Page): Promise<TrackerGate> {
  let reachable = false;
  await page.route('**/socket.io/**', (route) => (reachable ? route.continue() : route.abort()));
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (reachable) ws.connectToServer();
    else ws.close();
  });
  return {
    open: () => {
      reachable = true;
    },
  };
}
