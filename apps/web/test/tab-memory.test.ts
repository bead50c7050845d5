// What a tab remembers across a reload, and that a damaged value never breaks the page.
import { describe, expect, it } from 'vitest';
import type { GroupId } from '@chorus/protocol';
import { TabMemory } from '../src/lib/state/tab-memory.ts';
import { MapStorage } from './map-storage.ts';

describe('TabMemory', () => {
  it('remembers the name, the joined groups and the open one', () => {
    const storage = new MapStorage();
    const a = new TabMemory(storage);
    a.name = 'Alice';
    a.groups = [{ groupId: 'g1' as GroupId, name: 'one', ordering: 'total', password: 'pw' }];
    a.current = 'g1' as GroupId;
    const b = new TabMemory(storage);
    expect([b.name, b.groups, b.current]).toEqual([
      'Alice',
      [{ groupId: 'g1', name: 'one', ordering: 'total', password: 'pw' }],
      'g1',
    ]);
    b.clear();
    expect([a.name, a.groups, a.current]).toEqual([null, [], null]);
  });

  it('drops damaged or foreign group entries instead of failing', () => {
    const storage = new MapStorage();
    storage.setItem(
      'chorus:groups',
      '[{"groupId":"g","name":"ok","ordering":"fifo"},{"groupId":1},"x",{"groupId":"h","name":"n","ordering":"random"}]',
    );
    expect(new TabMemory(storage).groups).toEqual([{ groupId: 'g', name: 'ok', ordering: 'fifo' }]);
    storage.setItem('chorus:groups', '{not json');
    expect(new TabMemory(storage).groups).toEqual([]);
  });

  it('works without storage (disabled by the browser)', () => {
    const m = new TabMemory(null);
    m.name = 'Alice';
    expect(m.name).toBeNull();
  });

  it('a new tab of the profile starts with the last name and its groups, without passwords', () => {
    const profile = new MapStorage();
    const first = new TabMemory(new MapStorage(), profile);
    first.name = 'Alice';
    first.groups = [{ groupId: 'g1' as GroupId, name: 'one', ordering: 'total' }];
    first.groups = [...first.groups, { groupId: 'g2' as GroupId, name: 'two', ordering: 'fifo', password: 'pw' }];
    const second = new TabMemory(new MapStorage(), profile);
    expect(second.name).toBe('Alice');
    expect(second.groups).toEqual([
      { groupId: 'g1', name: 'one', ordering: 'total' },
      { groupId: 'g2', name: 'two', ordering: 'fifo' },
    ]);
    expect(
      JSON.stringify([...Array(profile.length).keys()].map((i) => profile.getItem(profile.key(i) ?? ''))),
    ).not.toContain('pw');
  });

  it('tabs change the profile list one group at a time, so they do not overwrite each other', () => {
    const profile = new MapStorage();
    const a = new TabMemory(new MapStorage(), profile);
    a.name = 'Alice';
    const b = new TabMemory(new MapStorage(), profile);
    a.groups = [{ groupId: 'x' as GroupId, name: 'x', ordering: 'total' }];
    b.groups = [{ groupId: 'y' as GroupId, name: 'y', ordering: 'total' }];
    expect(new TabMemory(new MapStorage(), profile).groups.map((g) => g.groupId)).toEqual(['x', 'y']);
    a.groups = [];
    expect(new TabMemory(new MapStorage(), profile).groups.map((g) => g.groupId)).toEqual(['y']);
    // A tab that already has a name keeps its own.
    const own = new MapStorage();
    own.setItem('chorus:name', 'Bob');
    expect(new TabMemory(own, profile).name).toBe('Bob');
  });

  it('quitting forgets the profile name: the next new tab asks for one', () => {
    const profile = new MapStorage();
    const a = new TabMemory(new MapStorage(), profile);
    a.name = 'Alice';
    a.clear();
    expect(new TabMemory(new MapStorage(), profile).name).toBeNull();
  });
});
