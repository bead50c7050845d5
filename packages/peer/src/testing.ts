// @chorus/peer/testing: in-process stand-ins for the network, the tracker and
// the stores, running the real peer code over them. MemoryNetwork carries
// data channels between peers in one process (seeded delays, cuts, crashes,
// injected frames); MemoryTracker runs the tracker's membership steps;
// MemoryStore and MemoryKeyStore keep history and keys in memory.

export { MemoryNetwork, MemoryTransport, type MemoryNetworkOptions } from './memory-transport.ts';
export { MemoryTracker, MemoryTrackerLink, type TrackerRequestKind } from './memory-tracker.ts';
export { MemoryStore } from './memory-store.ts';
export { MemoryKeyStore } from './key-store.ts';
