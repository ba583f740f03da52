/**
 * A line-based chat server on streams: every line a client sends goes to
 * every other client, prefixed with the sender's name. `/quit` leaves.
 *
 * Run: deno run --allow-net examples/chat_server.ts [port]
 * Try: nc 127.0.0.1 8888 (in two terminals)
 *
 * @module
 */
import * as asyncio from "../mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ChatRoom {
  readonly writers = new Map<string, asyncio.StreamWriter>();

  broadcast(from: string, text: string) {
    const line = encoder.encode(`${from}: ${text}\n`);
    for (const [name, writer] of this.writers) {
      if (name !== from && !writer.isClosing()) writer.write(line);
    }
  }

  async handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) {
    const [host, port] = writer.getExtraInfo("peername") as [string, number];
    const name = `${host}:${port}`;
    this.writers.set(name, writer);
    writer.write(encoder.encode(`welcome ${name}\n`));
    this.broadcast(name, "joined");
    try {
      for await (const raw of reader) {
        const text = decoder.decode(raw).trimEnd();
        if (text === "/quit") break;
        this.broadcast(name, text);
        await writer.drain();
      }
    } finally {
      this.writers.delete(name);
      this.broadcast(name, "left");
      writer.close();
      await writer.waitClosed().catch(() => {});
    }
  }
}

export async function main(port = 8888, ready?: (server: asyncio.Server) => void) {
  const room = new ChatRoom();
  await using server = await asyncio.startServer(
    (reader, writer) => room.handle(reader, writer),
    "127.0.0.1",
    port,
  );
  console.log(`chat on ${JSON.stringify(server.sockets[0].getsockname())}`);
  ready?.(server);
  await server.serveForever();
}

if (import.meta.main) {
  await asyncio.run(() => main(Number(Deno.args[0] ?? 8888)));
}
