// Byte helpers shared by the transports and the streams.

/** The bytes of a Uint8Array, ArrayBuffer or other view; a TypeError for anything else. */
export function toBytes(data: unknown, what = "data"): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  const kind = typeof data === "string" ? "a string" : data === null ? "null" : typeof data;
  throw new TypeError(
    `${what} must be a Uint8Array (bytes), not ${kind}` +
      (typeof data === "string" ? "; encode it first, e.g. new TextEncoder().encode(text)" : ""),
  );
}

/** Concatenates chunks whose total length is `size`. */
export function concatBytes(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
