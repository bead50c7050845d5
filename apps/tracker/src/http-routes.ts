// Plain node:http routes on the tracker's port: health, metrics, stats and the
// built web app (SPA fallback to index.html). Socket.IO owns /socket.io/.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * On every response. The app loads only its own scripts (no inline script,
 * no eval), connects only to its own origin (Socket.IO; WebRTC is not under
 * CSP), shows images from itself, data: (the icon) and blob: (received
 * files); styles may be inline (Svelte sets style attributes). No framing,
 * no plugins, no <base> tricks, no referrer to other sites.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

export interface RouteDeps {
  readonly ready: () => boolean;
  readonly metricsText: () => Promise<{ contentType: string; body: string }>;
  readonly stats: () => Promise<unknown>;
  /** Absolute path of the built web app, or undefined for none. */
  readonly webDist: string | undefined;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function serveStatic(root: string, pathname: string, res: ServerResponse, head: boolean): Promise<boolean> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    send(res, 400, 'text/plain; charset=utf-8', 'Bad path encoding.\n');
    return true;
  }
  const candidate = normalize(join(root, decoded));
  // No escaping the dist folder with ../ or encoded separators.
  if (candidate !== root && !candidate.startsWith(root + sep)) {
    send(res, 404, 'text/plain; charset=utf-8', 'Not found.\n');
    return true;
  }
  let file = candidate;
  if (!(await isFile(file))) {
    // Paths that look like assets 404; anything else is a client-side route.
    if (extname(decoded) !== '') return false;
    file = join(root, 'index.html');
    if (!(await isFile(file))) return false;
  }
  const immutable = file.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (head) {
    res.end();
    return true;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
  return true;
}

export function httpHandler(deps: RouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://tracker.invalid');
      const get = req.method === 'GET' || req.method === 'HEAD';
      if (url.pathname.startsWith('/socket.io/')) return; // Socket.IO answers these itself.
      if (get && url.pathname === '/healthz') {
        const up = deps.ready();
        send(res, up ? 200 : 503, 'text/plain; charset=utf-8', up ? 'ok\n' : 'starting or stopping\n');
      } else if (get && url.pathname === '/metrics') {
        const m = await deps.metricsText();
        send(res, 200, m.contentType, m.body);
      } else if (get && url.pathname === '/api/stats') {
        send(res, 200, 'application/json; charset=utf-8', JSON.stringify(await deps.stats()));
      } else if (
        get &&
        deps.webDist !== undefined &&
        (await serveStatic(deps.webDist, url.pathname, res, req.method === 'HEAD'))
      ) {
        // served
      } else {
        send(res, 404, 'text/plain; charset=utf-8', 'Not found.\n');
      }
    })().catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error.\n');
      else res.destroy();
    });
  };
}
