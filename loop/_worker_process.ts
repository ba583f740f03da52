// The entry point of a ProcessPoolExecutor's child process:
// `deno run [permission flags] _worker_process.ts MAGIC`. Requests arrive on
// stdin as frames (u32 little-endian length, then a node:v8 serialization
// of a CallRequest); responses leave on stdout as MAGIC, u32 length, then
// the serialized CallResponse. Everything else the function prints on
// stdout passes through to the parent's stdout; stderr is the parent's.
// The process exits when stdin closes and the call in progress is done.
import { deserialize, serialize } from "node:v8";
import {
  type CallRequest,
  type CallResponse,
  describeError,
  WorkerRuntime,
} from "./_worker_runtime.ts";

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function writeAll(bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
}

function send(magic: Uint8Array, response: CallResponse): void {
  let payload: Uint8Array;
  try {
    payload = serialize(response);
  } catch (error) {
    // node:v8 reports an uncloneable value as a plain Error; the main side
    // of a WorkerPoolExecutor sees a DataCloneError, so this one does too.
    const message = error instanceof Error ? error.message : String(error);
    payload = serialize({
      id: response.id,
      ok: false,
      error: describeError(new DOMException(message, "DataCloneError")),
    });
  }
  const frame = new Uint8Array(magic.length + 4 + payload.length);
  frame.set(magic, 0);
  new DataView(frame.buffer).setUint32(magic.length, payload.length, true);
  frame.set(payload, magic.length + 4);
  writeAll(frame);
}

async function main(magicHex: string): Promise<void> {
  const magic = hexToBytes(magicHex);
  const runtime = new WorkerRuntime();
  const reply = (response: CallResponse) => send(magic, response);
  let pending: Promise<void> = Promise.resolve();
  // Frames may span chunks: `head` collects a length, then `body` the payload.
  const head = new Uint8Array(4);
  let headFill = 0;
  let body: Uint8Array | null = null;
  let bodyFill = 0;
  for await (const chunk of Deno.stdin.readable) {
    let offset = 0;
    while (offset < chunk.length) {
      if (body === null) {
        const n = Math.min(4 - headFill, chunk.length - offset);
        head.set(chunk.subarray(offset, offset + n), headFill);
        headFill += n;
        offset += n;
        if (headFill < 4) break;
        headFill = 0;
        body = new Uint8Array(new DataView(head.buffer).getUint32(0, true));
        bodyFill = 0;
      }
      const n = Math.min(body.length - bodyFill, chunk.length - offset);
      body.set(chunk.subarray(offset, offset + n), bodyFill);
      bodyFill += n;
      offset += n;
      if (bodyFill < body.length) break;
      const request = deserialize(body) as CallRequest;
      body = null;
      // One call at a time, in order, as the parent sends them.
      pending = pending.then(() => runtime.handle(request, reply));
    }
  }
  await pending;
  Deno.exit(0);
}

if (import.meta.main) await main(Deno.args[0] ?? "");
