export * from './ids.ts';
export * from './result.ts';
export type * from './tracker/events.ts';
export type * from './wire/frames.ts';
export * from './ordering/engine.ts';
