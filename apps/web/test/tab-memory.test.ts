// What a tab remembers across a reload, and that a damaged value never breaks the page.
import { describe, expect, it } from 'vitest';
import type { GroupId } from '@chorus/protocol';
import { TabMemory } from '../src/lib/state/tab-memory.ts';

class MapStorage implements Storage {
  readonly #m = new Map<string, string>();
  get length(): number { return this.#m.size; }
  clear(): void { this.#m.clear(); }
  getItem(k: string): string | null { return this.#m.get(k) ?? null; }
  key(i: number): string | null { return [...this.#m.keys()][i] ?? null; }
  removeItem(k: string): void { this.#m.delete(k); }
  setItem(k: string, v: string): void { this.#m.set(k, v); }
}

describe('TabMemory', () => {
  it('remembers the name, the joined groups and the open one', () => {
    const storage = new MapStorage();
    const a = new TabMemory(storage);
    a.name = 'Alice';
    a.groups = [{ groupId: 'g1' as GroupId, name: 'one', ordering: 'total', password: 'pw' }];
    a.current = 'g1' as GroupId;
    const b = new TabMemory(storage);
    expect([b.name, b.groups, b.current]).toEqual(['Alice', [{ groupId: 'g1', name: 'one', ordering: 'total', password: 'pw' }], 'g1']);
    b.clear();
    expect([a.name, a.groups, a.current]).toEqual([null, [], null]);
  });

  it('drops damaged or foreign group entries instead of failing', () => {
    const storage = new MapStorage();
    storage.setItem('chorus:groups', '[{"groupId":"g","name":"ok","ordering":"fifo"},{"groupId":1},"x",{"groupId":"h","name":"n","ordering":"random"}]');
    expect(new TabMemory(storage).groups).toEqual([{ groupId: 'g', name: 'ok', ordering: 'fifo' }]);
    storage.setItem('chorus:groups', '{not json');
    expect(new TabMemory(storage).groups).toEqual([]);
  });

  it('works without storage (disabled by the browser)', () => {
    const m = new TabMemory(null);
    m.name = 'Alice';
    expect(m.name).toBeNull();
  });
});
