import { openConnection, run, sleep, startServer, StreamReader, StreamWriter } from "../../mod.ts";
import { assert, assertEquals, assertThrows } from "../deps.ts";
import { randomBytes, sha256 } from "../_peers.ts";

Deno.test("StreamReader.fromReadable: lines and bytes from a Response body", async () => {
  await run(async () => {
    const reader = StreamReader.fromReadable(new Response("one\ntwo\nrest").body!);
    const lines: string[] = [];
    for await (const line of reader) lines.push(new TextDecoder().decode(line));
    assertEquals(lines, ["one\n", "two\n", "rest"]);
    assert(reader.atEof());
  });
});

Deno.test("StreamReader.fromReadable: a CompressionStream round trip", async () => {
  await run(async () => {
    const data = randomBytes(3 * 1024 * 1024);
    const compressed = new Response(data as Uint8Array<ArrayBuffer>).body!.pipeThrough(
      new CompressionStream("gzip"),
    );
    const reader = StreamReader.fromReadable(
      compressed.pipeThrough(new DecompressionStream("gzip")),
    );
    assertEquals(await sha256(await reader.read()), await sha256(data));
  });
});

Deno.test("StreamReader.fromReadable: a slow program leaves the data in the stream", async () => {
  await run(async () => {
    const limit = 64 * 1024;
    const total = 100 * 1024 * 1024;
    const chunk = new Uint8Array(64 * 1024).fill(7);
    let produced = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced >= total) {
          controller.close();
          return;
        }
        produced += chunk.length;
        controller.enqueue(chunk.slice());
      },
    }, { highWaterMark: 1 });
    const reader = StreamReader.fromReadable(source, limit);
    // Nobody reads: the reader stops pulling past twice its limit.
    await sleep(0.05);
    assert(produced <= 8 * limit, `pulled ${produced} bytes while nobody read`);
    let read = 0;
    let peak = 0;
    for (;;) {
      const block = await reader.read(limit);
      if (block.length === 0) break;
      read += block.length;
      peak = Math.max(peak, produced - read);
    }
    assertEquals(read, total);
    assert(peak <= 8 * limit, `at most a few chunks were buffered (peak ${peak})`);
  });
});

Deno.test("reader.readable: pipes a reader into Web Streams, pulled as consumed", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const data = randomBytes(300_000);
    reader.feedData(data);
    reader.feedEof();
    const roundTrip = await new Response(
      (reader.readable as ReadableStream<Uint8Array<ArrayBuffer>>).pipeThrough(
        new CompressionStream("deflate"),
      ).pipeThrough(
        new DecompressionStream("deflate"),
      ),
    ).bytes();
    assertEquals(await sha256(roundTrip), await sha256(data));
    assertEquals(reader.readable, reader.readable, "one stream per reader");
  });
});

Deno.test("reader.readable over a live connection", async () => {
  await run(async () => {
    const payload = randomBytes(1024 * 1024);
    const server = await startServer(
      async (_r, writer) => {
        writer.write(payload);
        await writer.drain();
        writer.close();
      },
      "127.0.0.1",
      0,
    );
    const [, port] = server.sockets[0].getsockname() as [string, number];
    const [reader, writer] = await openConnection("127.0.0.1", port);
    const body = await new Response(reader.readable).bytes();
    assertEquals(await sha256(body), await sha256(payload));
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
  });
});

Deno.test("StreamReader.fromReadable refuses what is not a ReadableStream", async () => {
  await run(() => {
    assertThrows(() => StreamReader.fromReadable({} as ReadableStream<Uint8Array>), TypeError);
  });
});

Deno.test("StreamWriter.fromWritable: write, drain and close onto a WritableStream", async () => {
  await run(async () => {
    const received: Uint8Array[] = [];
    let closed = false;
    const writer = StreamWriter.fromWritable(
      new WritableStream<Uint8Array>({
        async write(chunk) {
          await new Promise((resolve) => setTimeout(resolve, 0)); // a slow sink
          received.push(chunk.slice());
        },
        close() {
          closed = true;
        },
      }),
    );
    const data = randomBytes(1024 * 1024);
    for (let i = 0; i < data.length; i += 100_000) {
      writer.write(data.subarray(i, i + 100_000));
      await writer.drain();
      assert(writer.transport.getWriteBufferSize() <= 64 * 1024, "drain waited for the sink");
    }
    writer.close();
    await writer.waitClosed();
    assert(closed);
    const total = new Uint8Array(received.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const chunk of received) {
      total.set(chunk, at);
      at += chunk.length;
    }
    assertEquals(await sha256(total), await sha256(data));
  });
});

Deno.test("writer.writable: pipeTo a connection, half-closing it at the end", async () => {
  await run(async () => {
    const payload = randomBytes(512 * 1024);
    const server = await startServer(
      async (reader, writer) => {
        const all = await reader.read(); // until the client's EOF
        writer.write(new TextEncoder().encode(await sha256(all)));
        writer.close();
      },
      "127.0.0.1",
      0,
    );
    const [, port] = server.sockets[0].getsockname() as [string, number];
    const [reader, writer] = await openConnection("127.0.0.1", port);
    await new Response(payload as Uint8Array<ArrayBuffer>).body!.pipeTo(writer.writable);
    const digest = new TextDecoder().decode(await reader.read());
    assertEquals(digest, await sha256(payload));
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
  });
});
