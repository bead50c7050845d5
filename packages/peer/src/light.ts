// @chorus/peer/light: what a UI uses before the peer runtime is loaded —
// reading the runtime's errors, a stored message as the chat shows it, and
// the retry backoff. Nothing here imports the runtime (sockets, WebRTC,
// IndexedDB), so a web page imports it statically and loads the rest lazily.

export { Backoff, type BackoffOptions } from './backoff.ts';
export { ChorusError, errorCode, errorMessage } from './chorus-error.ts';
export { chatFromStored } from './stored-chat.ts';
