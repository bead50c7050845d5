// One membership model (docs/design.md §3, PROTOCOL.md "Membership"): the tracker,
// the peer package's MemoryTracker and the simulator's ModelTracker all run
// these steps and only differ in how they carry out the effects.

export * from './membership.ts';
export * from './step.ts';
export * from './view-changes.ts';
export * from './link-reports.ts';
