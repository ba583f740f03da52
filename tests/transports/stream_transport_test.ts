import {
  type BaseTransport,
  getRunningLoop,
  logger,
  Protocol,
  ReadTransport,
  run,
  RuntimeError,
  sleep,
  type Transport,
  WriteTransport,
} from "../../mod.ts";
import { assert, assertEquals, assertStrictEquals, assertThrows } from "../deps.ts";
import { randomBytes, sha256 } from "../_peers.ts";
import { Counting, decoder, Echo, encoder, portOf, Recorder } from "./_helpers.ts";

async function connectedPair<S extends Recorder, C extends Recorder>(
  makeServer: () => S,
  makeClient: () => C,
) {
  const loop = getRunningLoop();
  const serverProtocol = loop.createFuture<S>();
  const server = await loop.createServer(
    () => {
      const p = makeServer();
      if (!serverProtocol.done()) serverProtocol.setResult(p);
      return p;
    },
    "127.0.0.1",
    0,
  );
  const [transport, client] = await loop.createConnection(makeClient, "127.0.0.1", portOf(server));
  const serverSide = await serverProtocol;
  await serverSide.made;
  return { server, transport, client, serverSide };
}

Deno.test("echo: bytes go out and come back, in order, with the callbacks in order", async () => {
  await run(async () => {
    const { server, transport, client, serverSide } = await connectedPair(
      () => new Echo(),
      () => new Recorder(),
    );
    const data = randomBytes(300_000);
    transport.write(data);
    await client.receivedAtLeast(data.length);
    assertEquals(await sha256(client.received()), await sha256(data));
    transport.close();
    await client.lost;
    await serverSide.lost;
    // 300 kB is more than the high-water mark: the write paused the client.
    const flow = client.events.filter((e) => e === "pause" || e === "resume");
    assertEquals(flow, ["pause", "resume"]);
    const rest = client.events.filter((e) => e !== "pause" && e !== "resume");
    assertEquals(rest.filter((e, i) => e !== "data" || rest[i - 1] !== "data"), [
      "made",
      "data",
      "lost",
    ]);
    assertEquals(serverSide.events, ["made", "data", "eof", "lost"]);
    assertStrictEquals(client.lostError, null);
    server.close();
    await server.waitClosed();
  });
});

Deno.test("getExtraInfo: peername and sockname tuples, the socket, and a default", async () => {
  await run(async () => {
    const { server, transport, client, serverSide } = await connectedPair(
      () => new Recorder(),
      () => new Recorder(),
    );
    const peer = transport.getExtraInfo<[string, number]>("peername")!;
    const local = transport.getExtraInfo<[string, number]>("sockname")!;
    assertEquals(peer, ["127.0.0.1", portOf(server)]);
    assertEquals(serverSide.transport.getExtraInfo("peername"), local);
    const conn = transport.getExtraInfo<Deno.Conn>("socket")!;
    assertEquals({ ...conn.remoteAddr }, {
      transport: "tcp",
      hostname: "127.0.0.1",
      port: peer[1],
    });
    assertStrictEquals(transport.getExtraInfo("no such thing"), undefined);
    assertEquals(transport.getExtraInfo("no such thing", 42), 42);
    transport.close();
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("a transport is a ReadTransport and a WriteTransport; using closes it", async () => {
  await run(async () => {
    const { server, transport, client } = await connectedPair(
      () => new Recorder(),
      () => new Recorder(),
    );
    assert(transport instanceof ReadTransport);
    assert(transport instanceof WriteTransport);
    {
      using _t = transport as BaseTransport;
    }
    assert(transport.isClosing());
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("write: strings and other non-bytes throw TypeError; views are accepted", async () => {
  await run(async () => {
    const { server, transport, client, serverSide } = await connectedPair(
      () => new Recorder(),
      () => new Recorder(),
    );
    assertThrows(() => transport.write("text" as unknown as Uint8Array), TypeError);
    assertThrows(() => transport.write(42 as unknown as Uint8Array), TypeError);
    assertThrows(() => transport.writelines(["a" as unknown as Uint8Array]), TypeError);
    transport.write(new Uint16Array([0x6968]) as unknown as Uint8Array); // "hi" little-endian
    transport.writelines([encoder.encode("!"), encoder.encode("?")]);
    transport.write(new Uint8Array(0));
    await serverSide.receivedAtLeast(4);
    assertEquals(decoder.decode(serverSide.received()), "hi!?");
    transport.close();
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("write copies the data: the caller may reuse its buffer at once", async () => {
  await run(async () => {
    const { server, transport, client, serverSide } = await connectedPair(
      () => new Recorder(),
      () => new Recorder(),
    );
    const buffer = new Uint8Array(4);
    for (const letter of "abcd") {
      buffer.fill(letter.charCodeAt(0));
      transport.write(buffer);
    }
    await serverSide.receivedAtLeast(16);
    assertEquals(decoder.decode(serverSide.received()), "aaaabbbbccccdddd");
    transport.close();
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("eofReceived: a falsy return closes, a truthy one keeps the write side open", async () => {
  await run(async () => {
    class Answering extends Recorder {
      override eofReceived(): boolean {
        super.eofReceived();
        this.transport.write(encoder.encode(`got ${this.receivedLength} bytes`));
        this.transport.close();
        return true;
      }
    }
    const { server, transport, client } = await connectedPair(
      () => new Answering(),
      () => new Recorder(),
    );
    client.keepOpenOnEof = false;
    assert(transport.canWriteEof());
    transport.write(encoder.encode("12345"));
    transport.writeEof();
    assertThrows(() => transport.write(encoder.encode("x")), RuntimeError);
    await client.lost;
    assertEquals(decoder.decode(client.received()), "got 5 bytes");
    assertEquals(client.events, ["made", "data", "eof", "lost"]);
    server.close();
    await server.waitClosed();
  });
});

Deno.test("pauseReading holds what arrives; resumeReading delivers it, nothing lost", async () => {
  await run(async () => {
    const { server, transport, client, serverSide } = await connectedPair(
      () => new Recorder(),
      () => new Recorder(),
    );
    serverSide.transport.pauseReading();
    assert(!serverSide.transport.isReading());
    serverSide.transport.pauseReading(); // twice is fine
    const data = randomBytes(200_000);
    transport.write(data);
    await sleep(0.05);
    const whilePaused = serverSide.receivedLength;
    assert(whilePaused < data.length, "nothing or little arrived while paused");
    serverSide.transport.resumeReading();
    assert(serverSide.transport.isReading());
    await serverSide.receivedAtLeast(data.length);
    assertEquals(await sha256(serverSide.received()), await sha256(data));
    transport.close();
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("BufferedProtocol: reads go into the protocol's own buffer", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const counting = loop.createFuture<Counting>();
    const server = await loop.createServer(
      () => {
        const p = new Counting();
        counting.setResult(p);
        return p;
      },
      "127.0.0.1",
      0,
    );
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "127.0.0.1",
      portOf(server),
    );
    transport.write(randomBytes(50_000));
    transport.close();
    const protocol = await counting;
    await protocol.lost;
    assertEquals(protocol.total, 50_000);
    assert(protocol.sizes.every((hint) => hint === -1));
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("setProtocol switches the receiver mid-connection", async () => {
  await run(async () => {
    const { server, transport, client, serverSide } = await connectedPair(
      () => new Recorder(),
      () => new Recorder(),
    );
    transport.write(encoder.encode("first"));
    await serverSide.receivedAtLeast(5);
    const second = new Recorder();
    serverSide.transport.setProtocol(second);
    assertStrictEquals(serverSide.transport.getProtocol(), second);
    transport.write(encoder.encode("second"));
    await second.receivedAtLeast(6);
    assertEquals(decoder.decode(second.received()), "second");
    assertEquals(decoder.decode(serverSide.received()), "first");
    transport.close();
    await client.lost;
    await second.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("flow control: a peer that stops reading pauses the writer at the high-water mark", async () => {
  await run(async () => {
    class Writer extends Recorder {
      paused = false;
      written = 0;
      maxBuffered = 0;
      readonly total = 32 * 1024 * 1024;
      readonly chunk = randomBytes(16 * 1024);
      readonly resumed = getRunningLoop().createFuture<void>();
      override pauseWriting(): void {
        super.pauseWriting();
        this.paused = true;
      }
      override resumeWriting(): void {
        super.resumeWriting();
        this.paused = false;
        this.pump();
        if (!this.resumed.done()) this.resumed.setResult();
      }
      pump(): void {
        while (!this.paused && this.written < this.total) {
          this.transport.write(this.chunk);
          this.written += this.chunk.length;
          this.maxBuffered = Math.max(this.maxBuffered, this.transport.getWriteBufferSize());
        }
        if (this.written >= this.total) this.transport.close();
      }
    }
    const { server, transport, client, serverSide } = await connectedPair(
      () => new Recorder(),
      () => new Writer(),
    );
    const writer = client as Writer;
    transport.setWriteBufferLimits(256 * 1024);
    assertEquals(transport.getWriteBufferLimits(), [64 * 1024, 256 * 1024]);
    serverSide.transport.pauseReading();
    writer.pump();
    await sleep(0.1);
    assert(writer.paused, "the writer is paused while the peer does not read");
    assert(writer.written < writer.total, "it stopped writing");
    const high = 256 * 1024;
    assert(
      writer.maxBuffered <= high + writer.chunk.length,
      `buffer stayed near the mark (${writer.maxBuffered})`,
    );
    serverSide.transport.resumeReading();
    await writer.resumed;
    await serverSide.lost;
    assertEquals(serverSide.receivedLength, writer.total);
    assert(writer.events.includes("pause") && writer.events.includes("resume"));
    const pauses = writer.events.filter((e) => e === "pause" || e === "resume");
    for (let i = 0; i < pauses.length; i++) {
      assertEquals(pauses[i], i % 2 === 0 ? "pause" : "resume", "pause and resume alternate");
    }
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("setWriteBufferLimits: defaults, low from high, and bad marks", async () => {
  await run(async () => {
    const { server, transport, client } = await connectedPair(
      () => new Recorder(),
      () => new Recorder(),
    );
    assertEquals(transport.getWriteBufferLimits(), [16384, 65536]);
    transport.setWriteBufferLimits(undefined, 1000);
    assertEquals(transport.getWriteBufferLimits(), [1000, 4000]);
    assertThrows(() => transport.setWriteBufferLimits(10, 20), RangeError);
    assertThrows(() => transport.setWriteBufferLimits(-1), RangeError);
    assertThrows(() => transport.setWriteBufferLimits("10" as unknown as number), TypeError);
    transport.setWriteBufferLimits(0);
    assertEquals(transport.getWriteBufferLimits(), [0, 0]);
    transport.close();
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("close flushes the buffer first; abort drops it at once", async () => {
  await run(async () => {
    const { server, transport, client, serverSide } = await connectedPair(
      () => new Recorder(),
      () => new Recorder(),
    );
    const data = randomBytes(4 * 1024 * 1024);
    transport.write(data);
    transport.close();
    assert(transport.isClosing());
    await serverSide.lost;
    assertEquals(serverSide.receivedLength, data.length);
    await client.lost;

    const [second, secondClient] = await getRunningLoop().createConnection(
      () => new Recorder(),
      "127.0.0.1",
      portOf(server),
    );
    second.write(randomBytes(8 * 1024 * 1024));
    second.abort();
    assertEquals(await secondClient.lost, null);
    assertEquals(second.getWriteBufferSize(), 0);
    server.closeClients();
    server.close();
    await server.waitClosed();
  });
});

Deno.test("writes after close are dropped, with a warning after a few", async () => {
  await run(async () => {
    const { server, transport, client } = await connectedPair(
      () => new Recorder(),
      () => new Recorder(),
    );
    transport.close();
    const warnings: string[] = [];
    const saved = logger.warning;
    logger.warning = (message) => warnings.push(message);
    try {
      for (let i = 0; i < 8; i++) transport.write(encoder.encode("late"));
    } finally {
      logger.warning = saved;
    }
    assertEquals(warnings.length, 4);
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("a protocol callback that throws goes to the exception handler and closes that transport only", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const reports: string[] = [];
    loop.setExceptionHandler((_loop, context) => reports.push(context.message));
    class Broken extends Recorder {
      override onData(data: Uint8Array): void {
        if (decoder.decode(data).includes("boom")) throw new Error("protocol bug");
        this.transport.write(data);
      }
    }
    const server = await loop.createServer(() => new Broken(), "127.0.0.1", 0);
    const [bad, badClient] = await loop.createConnection(
      () => new Recorder(),
      "127.0.0.1",
      portOf(server),
    );
    const [good, goodClient] = await loop.createConnection(
      () => new Recorder(),
      "127.0.0.1",
      portOf(server),
    );
    bad.write(encoder.encode("boom"));
    await badClient.lost;
    assertEquals(reports, ["Fatal error: protocol.dataReceived() call failed."]);
    good.write(encoder.encode("still served"));
    await goodClient.receivedAtLeast(12);
    assertEquals(decoder.decode(goodClient.received()), "still served");
    good.close();
    await goodClient.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("a peer that resets the connection gives connectionLost(ConnectionReset) once", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await loop.createServer(() => new Recorder(), "127.0.0.1", 0);
    // A socket closed with data unread in its receive buffer sends RST.
    const serverProtocol = loop.createFuture<Recorder>();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted = listener.accept();
    const [transport, client] = await loop.createConnection(
      () => new Recorder(),
      "127.0.0.1",
      (listener.addr as Deno.NetAddr).port,
    );
    const peer = await accepted;
    transport.write(encoder.encode("unread data"));
    await sleep(0.02);
    peer.close();
    listener.close();
    const error = await client.lost;
    assert(
      error instanceof Deno.errors.ConnectionReset || error === null,
      `reset or clean close, got ${error}`,
    );
    assertEquals(client.events.filter((e) => e === "lost").length, 1);
    serverProtocol.cancel();
    server.close();
    await server.waitClosed();
  });
});

Deno.test("a transport aborted mid-write and a server closed with clients release everything", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await loop.createServer(() => new Recorder(), "127.0.0.1", 0);
    const clients: [Transport, Recorder][] = [];
    for (let i = 0; i < 5; i++) {
      clients.push(await loop.createConnection(() => new Recorder(), "127.0.0.1", portOf(server)));
    }
    for (const [transport] of clients) transport.write(randomBytes(1024 * 1024));
    clients[0][0].abort();
    server.close();
    server.abortClients();
    await server.waitClosed();
    for (const [, protocol] of clients) await protocol.lost;
  });
});

Deno.test("Protocol defaults do nothing, and eofReceived closes", () => {
  const protocol = new Protocol();
  protocol.connectionMade({} as Transport);
  protocol.dataReceived(new Uint8Array(1));
  protocol.pauseWriting();
  protocol.resumeWriting();
  protocol.connectionLost(null);
  assert(!protocol.eofReceived());
});

Deno.test("large writes in turn, each after the last one flushed, arrive intact", async () => {
  await run(async () => {
    const { server, transport, client, serverSide } = await connectedPair(
      () => new Recorder(),
      () => new Recorder(),
    );
    const source = new Uint8Array(20 * 1024);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 50; i++) {
      crypto.getRandomValues(source);
      sent.push(source.slice());
      transport.write(source); // the same buffer each time, refilled
      if (i % 3 === 0) await serverSide.receivedAtLeast(sent.length * source.length);
    }
    const total = sent.length * source.length;
    await serverSide.receivedAtLeast(total);
    const expected = new Uint8Array(total);
    sent.forEach((chunk, i) => expected.set(chunk, i * source.length));
    assertEquals(await sha256(serverSide.received()), await sha256(expected));
    transport.close();
    await client.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("a connection left open when run() ends is let go quietly when its read ends", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  await run(async () => {
    await getRunningLoop().createConnection(
      () => new Protocol(),
      "127.0.0.1",
      (listener.addr as Deno.NetAddr).port,
    );
  });
  // The loop is closed, the transport's read still pending. The peer's EOF
  // ends it: with no loop to call back into, the transport closes its
  // connection (no "Event loop is closed" rejection), which the peer sees.
  const peer = await accepted;
  listener.close();
  await peer.closeWrite();
  assertEquals(await peer.read(new Uint8Array(16)), null);
  peer.close();
});
