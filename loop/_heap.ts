// A binary min-heap of timers ordered by deadline, then by scheduling order
// so that timers due at the same instant run first-in first-out.

/** What the heap needs of an entry. */
export interface HeapEntry {
  _when: number;
  _seq: number;
}

function before(a: HeapEntry, b: HeapEntry): boolean {
  return a._when < b._when || (a._when === b._when && a._seq < b._seq);
}

export class TimerHeap<T extends HeapEntry> {
  #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  push(item: T): void {
    const items = this.#items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, items[parent])) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) this.#siftDown(0, last);
    return top;
  }

  /** Keeps only the entries for which `keep` is true, in O(n). */
  filter(keep: (item: T) => boolean): void {
    const items = this.#items.filter(keep);
    this.#items = items;
    for (let i = (items.length >> 1) - 1; i >= 0; i--) {
      this.#siftDown(i, items[i]);
    }
  }

  clear(): void {
    this.#items = [];
  }

  #siftDown(start: number, item: T): void {
    const items = this.#items;
    const n = items.length;
    let i = start;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(items[child + 1], items[child])) child++;
      if (!before(items[child], item)) break;
      items[i] = items[child];
      i = child;
    }
    items[i] = item;
  }
}
