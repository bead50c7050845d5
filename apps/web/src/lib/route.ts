// The address of a group: `#/g/<groupId>`. The open group's address
// is in the address bar, so a reload, a bookmark or a link sent to someone
// opens that group; "Copy invite link" copies the same address. A hash (not a
// path) because the tracker serves the app as static files from one page: a
// path would need a catch-all route on every server in front of it.

import type { GroupId } from '@chorus/protocol/light';
import { MAX_GROUP_ID_CHARS } from '@chorus/protocol/light';

const PREFIXES = ['#/g/', '#/group/']; // `#/group/`: the older address form, still in saved links

/** The group an address names, or null (no group, or not a well-formed id). */
export function groupIdFromHash(hash: string): GroupId | null {
  const prefix = PREFIXES.find((p) => hash.startsWith(p));
  if (!prefix) return null;
  let id: string;
  try {
    id = decodeURIComponent(hash.slice(prefix.length).replace(/\/+$/u, ''));
  } catch {
    return null; // a malformed %-escape
  }
  if (id.length === 0 || id.length > MAX_GROUP_ID_CHARS || /[\s/\\]/u.test(id)) return null;
  return id as GroupId;
}

/** The hash of a group's address. */
export function groupHash(groupId: GroupId): string {
  return `#/g/${encodeURIComponent(groupId)}`;
}

/** The full link to a group, from the page's own address (origin and path, no hash). */
export function inviteLink(pageUrl: string, groupId: GroupId): string {
  const url = new URL(pageUrl);
  url.hash = groupHash(groupId);
  return url.href;
}

/** Where the open group is written: the address bar in the page, a recorder in tests. */
export interface AddressBar {
  /** The current hash (`#/g/…`, or '' when none). */
  read(): string;
  /** Shows this hash, or none (null), without adding a history entry or firing `hashchange`. */
  write(hash: string | null): void;
}

/** The page's own address bar. */
export function windowAddressBar(win: Window): AddressBar {
  return {
    read: () => win.location.hash,
    write: (hash) => {
      const { pathname, search } = win.location;
      if ((hash ?? '') === win.location.hash) return;
      try {
        win.history.replaceState(win.history.state, '', `${pathname}${search}${hash ?? ''}`);
      } catch {
        // a sandboxed frame may refuse: the app works, the address bar just does not follow
      }
    },
  };
}
