// Helpers the stream tests share: text <-> bytes, and a connected pair of
// streams (a client from openConnection, the server's side from startServer).
import {
  getRunningLoop,
  openConnection,
  type Server,
  startServer,
  type StartServerOptions,
  type StreamReader,
  type StreamWriter,
} from "../../mod.ts";

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** UTF-8 bytes of `text`. */
export function bytes(text: string): Uint8Array {
  return textEncoder.encode(text);
}

/** `data` decoded as UTF-8. */
export function text(data: Uint8Array): string {
  return textDecoder.decode(data);
}

/** The chunks one after the other. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** The port a server listens on. */
export function portOf(server: Server): number {
  return (server.sockets[0].getsockname() as [string, number])[1];
}

export interface StreamPair {
  server: Server;
  /** The client's side, from openConnection. */
  reader: StreamReader;
  writer: StreamWriter;
  /** The server's side, as its callback got them. */
  peerReader: StreamReader;
  peerWriter: StreamWriter;
  /** Closes both sides and the server and waits for all of them. */
  close(): Promise<void>;
}

/** Opens one connection to a fresh server whose callback only hands its streams over. */
export async function streamPair(
  options: { limit?: number; serverLimit?: number; serverOptions?: StartServerOptions } = {},
): Promise<StreamPair> {
  const loop = getRunningLoop();
  const accepted = loop.createFuture<[StreamReader, StreamWriter]>();
  const server = await startServer(
    (reader, writer) => {
      if (!accepted.done()) accepted.setResult([reader, writer]);
    },
    "127.0.0.1",
    0,
    { ...options.serverOptions, limit: options.serverLimit },
  );
  const [reader, writer] = await openConnection("127.0.0.1", portOf(server), {
    limit: options.limit,
  });
  const [peerReader, peerWriter] = await accepted;
  return {
    server,
    reader,
    writer,
    peerReader,
    peerWriter,
    async close() {
      for (const w of [writer, peerWriter]) {
        w.close();
        await w.waitClosed().catch(() => {});
      }
      server.close();
      await server.waitClosed();
    },
  };
}

/** Lets the loop run `n` iterations (a yield, not a wait for an event). */
export async function iterations(n: number): Promise<void> {
  const { sleep } = await import("../../mod.ts");
  for (let i = 0; i < n; i++) await sleep(0);
}

/**
 * Resolves once `n` bytes in all have been fed to `reader` from now on (it
 * wraps the reader's feedData, as a spy).
 */
export function fedAtLeast(reader: StreamReader, n: number): Promise<void> {
  const loop = getRunningLoop();
  const done = loop.createFuture<void>();
  let total = 0;
  const feed = reader.feedData.bind(reader);
  reader.feedData = (data: Uint8Array) => {
    feed(data);
    total += data.length;
    if (total >= n && !done.done()) done.setResult();
  };
  return (async () => await done)();
}
