// Test page for the IndexedDB store (e2e/store.spec.ts drives it through
// page.evaluate): exposes the real IdbStore on `window.chorusStoreCheck` and
// lists every problem the store reports, the way the app's banner would.
// Imported by path, not through @chorus/peer, so this page carries no runtime.

import { IdbStore, type StoreProblem } from '../../../packages/peer/src/idb-store.ts';

const problems: StoreProblem[] = [];
const list = document.getElementById('problems');
let recovered = 0;

function open(name: string): IdbStore {
  return new IdbStore({
    name,
    onProblem: (p) => {
      problems.push(p);
      const li = document.createElement('li');
      li.textContent = `${p.kind}: ${p.message}`;
      list?.append(li);
    },
    onRecovered: () => {
      recovered += 1;
    },
  });
}

declare global {
  interface Window {
    chorusStoreCheck: {
      open: typeof open;
      problems: () => readonly StoreProblem[];
      recovered: () => number;
    };
  }
}

window.chorusStoreCheck = { open, problems: () => problems, recovered: () => recovered };
