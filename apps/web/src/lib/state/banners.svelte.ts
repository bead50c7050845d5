// The page's banners: problems and notices that belong to no group (the
// store, the tracker connection, a failed load, a command typed with no group
// open). Owns the list; a banner of the same kind and text shows once.

export type BannerKind = 'storage' | 'connection' | 'error' | 'info';
export interface Banner {
  readonly id: number;
  readonly kind: BannerKind;
  readonly message: string;
}

export class Banners {
  #list = $state.raw<readonly Banner[]>([]);
  #seq = 0;

  get list(): readonly Banner[] {
    return this.#list;
  }

  show(kind: BannerKind, message: string): void {
    if (this.#list.some((b) => b.kind === kind && b.message === message)) return;
    this.#list = [...this.#list, { id: ++this.#seq, kind, message }];
  }

  /** The problem of this kind is over (the store recovered, the tracker is reachable again). */
  clear(kind: BannerKind): void {
    this.#list = this.#list.filter((b) => b.kind !== kind);
  }

  /** The person closed one. */
  dismiss(id: number): void {
    this.#list = this.#list.filter((b) => b.id !== id);
  }
}
