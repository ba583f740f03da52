// The bytes a StreamReader holds: one contiguous buffer with a start and an
// end, as Python's bytearray keeps an offset so that deleting from the
// front costs nothing. Each byte is copied once in and once out; the
// buffer grows by doubling and slides its content down when that is
// enough, so feeding and reading stay linear however the data is cut.

import { copyBytes } from "../transports/_bytes.ts";

const MIN_CAPACITY = 4096;

export class ByteBuffer {
  #bytes = new Uint8Array(0);
  #start = 0;
  #end = 0;

  get length(): number {
    return this.#end - this.#start;
  }

  append(data: Uint8Array): void {
    const n = data.length;
    if (n === 0) return;
    if (this.#end + n > this.#bytes.length) this.#makeRoom(n);
    this.#bytes.set(data, this.#end);
    this.#end += n;
  }

  /** The byte at `index` from the start. */
  at(index: number): number {
    return this.#bytes[this.#start + index];
  }

  /** Removes and returns the first `n` bytes (fewer if there are fewer). */
  take(n: number): Uint8Array {
    const count = Math.min(n, this.length);
    const out = copyBytes(this.#bytes, this.#start, this.#start + count);
    this.drop(count);
    return out;
  }

  /** Removes the first `n` bytes. */
  drop(n: number): void {
    this.#start += Math.min(n, this.length);
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  clear(): void {
    this.#start = this.#end = 0;
    if (this.#bytes.length > 16 * MIN_CAPACITY) this.#bytes = new Uint8Array(0);
  }

  /** The offset of `separator` at or after `from`, or -1. */
  indexOf(separator: Uint8Array, from: number): number {
    // Only the live bytes: the capacity beyond `end` is never searched.
    const bytes = this.#bytes.subarray(0, this.#end);
    const end = this.#end;
    const first = separator[0];
    const last = end - separator.length;
    for (let i = this.#start + from; i <= last; i++) {
      i = bytes.indexOf(first, i);
      if (i === -1 || i > last) return -1;
      let j = 1;
      while (j < separator.length && bytes[i + j] === separator[j]) j++;
      if (j === separator.length) return i - this.#start;
    }
    return -1;
  }

  /** Whether `separator` stands at offset `at`. */
  startsWith(separator: Uint8Array, at: number): boolean {
    if (at + separator.length > this.length) return false;
    for (let j = 0; j < separator.length; j++) {
      if (this.#bytes[this.#start + at + j] !== separator[j]) return false;
    }
    return true;
  }

  #makeRoom(n: number): void {
    const live = this.length;
    const needed = live + n;
    if (needed <= this.#bytes.length && this.#start >= live) {
      // Enough room once the content slides to the front.
      this.#bytes.copyWithin(0, this.#start, this.#end);
    } else {
      let capacity = Math.max(MIN_CAPACITY, this.#bytes.length);
      while (capacity < needed) capacity *= 2;
      const bigger = new Uint8Array(capacity);
      bigger.set(this.#bytes.subarray(this.#start, this.#end));
      this.#bytes = bigger;
    }
    this.#start = 0;
    this.#end = live;
  }
}
