// Getting a person's attention: a count in the title (`(3) Chorus`: the
// unread messages of the groups not open, and while the tab is hidden those
// of the open one too) and, while hidden, a desktop notification per message
// (where the group's setting lets it, notify-prefs.svelte.ts);
// the hidden part is cleared when the tab becomes visible again. Owns the
// counts and the visibility it reads; knows nothing about groups or peers.

export const BASE_TITLE = 'Chorus';
/** Notification text is cut here: a desktop notification is a hint, not a reader. */
const NOTIFICATION_BODY_MAX = 140;

export class Attention {
  #hidden = $state(false);
  /** Messages of the open group that arrived while the tab was hidden. */
  #unseen = $state(0);
  /** Unread messages in the joined groups that are not open (counted in the title whether the tab is hidden or not). */
  #unread = $state(0);
  #permission = $state<NotificationPermission | 'unsupported'>(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  );
  readonly #doc: Document | null;

  constructor(doc: Document | null) {
    this.#doc = doc;
    if (!doc) return;
    this.#hidden = doc.visibilityState === 'hidden';
    doc.addEventListener('visibilitychange', () => {
      this.#hidden = doc.visibilityState === 'hidden';
      if (!this.#hidden) this.#unseen = 0;
      this.#renderTitle();
    });
  }

  /** Ask once, from a user gesture (browsers ignore the request otherwise). */
  requestPermission(): void {
    if (typeof Notification === 'undefined' || Notification.permission !== 'default') return;
    void Notification.requestPermission()
      .then((p) => {
        this.#permission = p;
      })
      .catch(() => {});
  }

  /**
   * What the browser allows ('unsupported' without the Notification API): the header offers "Enable notifications"
   * while 'default'.
   */
  get permission(): NotificationPermission | 'unsupported' {
    return this.#permission;
  }
  /** The tab is hidden (`document.visibilityState`): messages then notify and count in the title. */
  get hidden(): boolean {
    return this.#hidden;
  }
  get unread(): number {
    return this.#unread;
  }

  /** The joined groups that are not open have `n` unread messages together. */
  setUnread(n: number): void {
    this.#unread = n;
    this.#renderTitle();
  }

  /**
   * A message from someone else arrived (`open`: in the open group; one in another group is counted by `setUnread`;
   * `notify`: the group's notification setting lets it raise a desktop notification, NotifyPrefs).
   */
  message(groupName: string, senderName: string, body: string, open = true, notify = true): void {
    if (!this.#hidden) return;
    if (open) this.#unseen += 1;
    this.#renderTitle();
    if (!notify || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
    try {
      const text = body.length > NOTIFICATION_BODY_MAX ? `${body.slice(0, NOTIFICATION_BODY_MAX)}…` : body;
      // One tag per group: a burst replaces the previous notification instead of stacking dozens.
      new Notification(`${senderName} in ${groupName}`, { body: text, tag: `chorus:${groupName}` });
    } catch {
      // Some platforms only allow notifications from a service worker; the title badge still works.
    }
  }

  #renderTitle(): void {
    const n = this.#unseen + this.#unread;
    if (this.#doc) this.#doc.title = n > 0 ? `(${n}) ${BASE_TITLE}` : BASE_TITLE;
  }
}
