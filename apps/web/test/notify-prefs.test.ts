// What notifies, per group: kept for the profile (a second NotifyPrefs on the
// same storage reads it), damaged storage reads as the default.
import { describe, expect, it } from 'vitest';
import type { GroupId } from '@chorus/protocol';
import { DEFAULT_NOTIFY, NotifyPrefs } from '../src/lib/state/notify-prefs.svelte.ts';
import { MapStorage } from './map-storage.ts';

const busy = 'busy-1' as GroupId;
const quiet = 'quiet-2' as GroupId;

describe('NotifyPrefs', () => {
  it('notifies every message by default, only mentions or nothing where the person chose so, per group', () => {
    const storage = new MapStorage();
    const prefs = new NotifyPrefs(storage);
    expect(prefs.level(busy)).toBe(DEFAULT_NOTIFY);
    expect([prefs.notifies(busy, false), prefs.notifies(busy, true)]).toEqual([true, true]);
    prefs.set(busy, 'mentions');
    prefs.set(quiet, 'none');
    expect([prefs.notifies(busy, false), prefs.notifies(busy, true)]).toEqual([false, true]);
    expect([prefs.notifies(quiet, false), prefs.notifies(quiet, true)]).toEqual([false, false]);

    // Another tab of the profile, or a reload, reads the same.
    const again = new NotifyPrefs(storage);
    expect([again.level(busy), again.level(quiet)]).toEqual(['mentions', 'none']);
    again.set(busy, 'all');
    expect(new NotifyPrefs(storage).level(busy)).toBe('all');
  });

  it('reads a damaged or unknown stored value as the default, and works without storage', () => {
    const storage = new MapStorage();
    storage.setItem(`chorus:notify:${busy}`, 'loud');
    expect(new NotifyPrefs(storage).level(busy)).toBe(DEFAULT_NOTIFY);
    const none = new NotifyPrefs(null);
    none.set(busy, 'none');
    expect(none.notifies(busy, true)).toBe(false);
  });
});
