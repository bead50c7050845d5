// Two browsers that cannot open a data channel to each other (PROTOCOL.md
// §1.6), made with Playwright routing, outside the app: every signaling
// message (offer, answer, candidate) between this user's context and the
// people named goes nowhere, in both directions, on both Socket.IO transports
// (long-polling first, then the WebSocket). Peer ids are learnt from what the
// tracker sends (views and joiner notices carry each member's peer id and
// name). Everything else passes untouched.

import type { BrowserContext, Route } from '@playwright/test';

/** Engine.IO packs several packets into one long-polling body, separated by this. */
const SEPARATOR = '\x1e';

/** `42[ack]["event", payload]`: a Socket.IO event in an Engine.IO message. */
function event(packet: string): { name: string; payload: Record<string, unknown> } | null {
  const m = /^42\d*(\[[\s\S]*\])$/.exec(packet);
  if (m === null) return null;
  try {
    const [name, payload] = JSON.parse(m[1] ?? '') as [unknown, unknown];
    if (typeof name !== 'string' || typeof payload !== 'object' || payload === null) return null;
    return { name, payload: payload as Record<string, unknown> };
  } catch {
    return null;
  }
}

export async function blockSignals(context: BrowserContext, names: readonly string[]): Promise<void> {
  const blocked = new Set<string>();
  const learn = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(learn);
    else if (typeof value === 'object' && value !== null) {
      const o = value as Record<string, unknown>;
      if (typeof o['peerId'] === 'string' && typeof o['name'] === 'string' && names.includes(o['name']))
        blocked.add(o['peerId']);
      Object.values(o).forEach(learn);
    }
  };
  /** Whether a packet passes: `out` from the page to the tracker, else from the tracker to the page. */
  const passes = (packet: string, out: boolean): boolean => {
    const e = event(packet);
    if (e === null) return true;
    if (!out) learn(e.payload);
    if (e.name !== 'signal') return true;
    return !blocked.has(String(out ? e.payload['to'] : e.payload['from']));
  };
  const filter = (body: string, out: boolean): string =>
    body
      .split(SEPARATOR)
      .filter((p) => passes(p, out))
      .join(SEPARATOR);

  await context.route('**/socket.io/**', async (route: Route) => {
    const request = route.request();
    if (request.method() === 'POST') {
      const body = filter(request.postData() ?? '', true);
      // A body whose every packet was dropped becomes a no-op packet (Engine.IO `6`), so the request stays valid.
      await route.continue({ postData: body === '' ? '6' : body });
      return;
    }
    const response = await route.fetch();
    const body = await response.text();
    const kept = filter(body, false);
    if (kept === body) await route.fulfill({ response });
    else {
      const headers = { ...response.headers() };
      delete headers['content-length'];
      await route.fulfill({ response, headers, body: kept === '' ? '6' : kept });
    }
  });
  await context.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      if (typeof m !== 'string' || passes(m, true)) server.send(m);
    });
    server.onMessage((m) => {
      if (typeof m !== 'string' || passes(m, false)) ws.send(m);
    });
  });
}
