import {
  getRunningLoop,
  openConnection,
  Protocol,
  run,
  type Server,
  StreamReader,
  StreamReaderProtocol,
  type Transport,
  WebStreamProtocol,
} from "../../mod.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../deps.ts";
import { randomBytes, sha256 } from "../_peers.ts";
import { Recorder } from "../transports/_helpers.ts";

function portOf(server: Server): number {
  return (server.sockets[0].getsockname() as [string, number])[1];
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A server whose connections are WebStreamProtocols, handed to `onConnection`. */
async function webStreamServer(
  onConnection: (protocol: WebStreamProtocol) => void,
  options = {},
): Promise<Server> {
  return await getRunningLoop().createServer(
    () => {
      const protocol = new WebStreamProtocol(options);
      onConnection(protocol);
      return protocol;
    },
    "127.0.0.1",
    0,
  );
}

Deno.test("WebStreamProtocol: readable piped into writable echoes, EOF included", async () => {
  await run(async () => {
    const server = await webStreamServer((protocol) => {
      protocol.readable.pipeTo(protocol.writable);
    });
    const data = randomBytes(4 * 1024 * 1024);
    const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
    writer.write(data);
    writer.writeEof();
    const echoed = await reader.read(-1);
    assertEquals(await sha256(echoed), await sha256(data));
    assert(reader.atEof());
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
  });
});

Deno.test("WebStreamProtocol: a CompressionStream round trip over TCP", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const received = Promise.withResolvers<Uint8Array>();
    const server = await webStreamServer((protocol) => {
      // Once the body has ended, the server's side is done too: close it,
      // as one closes a Deno.Conn's writable.
      collect(protocol.readable.pipeThrough(new DecompressionStream("gzip")))
        .then(received.resolve, received.reject)
        .finally(() => protocol.writable.close());
    });
    const text = new TextEncoder().encode("the quick brown fox ".repeat(50_000));
    const [transport, client] = await loop.createConnection(
      () => new WebStreamProtocol(),
      "127.0.0.1",
      portOf(server),
    );
    await new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))
      .pipeTo(client.writable);
    assertEquals(await sha256(await received.promise), await sha256(text));
    transport.close();
    server.close();
    await server.waitClosed();
  });
});

/** Resolves with the protocol the server's first connection gets. */
function firstConnection<P extends Protocol>(make: () => P): [() => P, Promise<P>] {
  const made = Promise.withResolvers<P>();
  return [() => {
    const protocol = make();
    made.resolve(protocol);
    return protocol;
  }, made.promise];
}

/** A WebStreamProtocol that says when its transport stopped reading. */
class WatchedWebStreams extends WebStreamProtocol {
  readonly paused = Promise.withResolvers<void>();
  transport!: Transport;
  override connectionMade(transport: Transport): void {
    this.transport = transport;
    super.connectionMade(transport);
  }
  override dataReceived(data: Uint8Array): void {
    super.dataReceived(data);
    if (!this.transport.isReading()) this.paused.resolve();
  }
}

Deno.test("WebStreamProtocol: a slow consumer pauses the transport's reading", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const total = 8 * 1024 * 1024;
    const [factory, serverSide] = firstConnection(() => new Recorder());
    const server = await loop.createServer(factory, "127.0.0.1", 0);
    const [transport, client] = await loop.createConnection(
      () => new WatchedWebStreams({ highWaterMark: 16 * 1024 }),
      "127.0.0.1",
      portOf(server),
    );
    const sent = randomBytes(total);
    const peer = await serverSide;
    await peer.made;
    peer.transport.write(sent);
    peer.transport.writeEof();
    // Nobody reads yet: the queue fills and the transport stops reading,
    // so the rest stays in the kernel and the peer's write buffer.
    await client.paused.promise;
    assert(!transport.isReading());
    assert(peer.transport.getWriteBufferSize() > 0, "the peer still holds unsent bytes");
    // Reading resumes it, and nothing is lost.
    const all = await collect(client.readable);
    assertEquals(all.length, total);
    assertEquals(await sha256(all), await sha256(sent));
    transport.close();
    server.close();
    await server.waitClosed();
  });
});

Deno.test("WebStreamProtocol: writes wait while the transport's buffer is full", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [factory, serverSide] = firstConnection(() => new Recorder());
    const server = await loop.createServer(factory, "127.0.0.1", 0);
    const events: string[] = [];
    const paused = Promise.withResolvers<void>();
    class Watched extends WebStreamProtocol {
      override pauseWriting(): void {
        events.push("pause");
        super.pauseWriting();
        paused.resolve();
      }
      override resumeWriting(): void {
        events.push("resume");
        super.resumeWriting();
      }
    }
    const [transport, client] = await loop.createConnection(
      () => new Watched(),
      "127.0.0.1",
      portOf(server),
    );
    const peer = await serverSide;
    await peer.made;
    peer.transport.pauseReading();
    const writer = client.writable.getWriter();
    const chunk = randomBytes(8 * 1024 * 1024);
    const write = writer.write(chunk).then(() => events.push("written"));
    await paused.promise;
    // The write is taken but not done: it waits for the buffer to drain.
    assertEquals(events, ["pause"]);
    assert(transport.getWriteBufferSize() > 64 * 1024);
    peer.transport.resumeReading();
    await write;
    assertEquals(events, ["pause", "resume", "written"]);
    await writer.close();
    await peer.eof;
    assertEquals(await sha256(peer.received()), await sha256(chunk));
    transport.close();
    server.close();
    await server.waitClosed();
  });
});

Deno.test("WebStreamProtocol: cancelling readable closes the connection", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [factory, serverSide] = firstConnection(() => new Recorder());
    const server = await loop.createServer(factory, "127.0.0.1", 0);
    const [transport, client] = await loop.createConnection(
      () => new WebStreamProtocol(),
      "127.0.0.1",
      portOf(server),
    );
    const peer = await serverSide;
    await client.readable.cancel();
    assert(transport.isClosing());
    await peer.lost;
    assertEquals(peer.events.at(-1), "lost");
    await assertRejects(() => client.writable.getWriter().write(new Uint8Array(1)));
    server.close();
    await server.waitClosed();
  });
});

Deno.test("WebStreamProtocol: a connection lost with an error errors both streams", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Deno.errors.ConnectionReset("reset by the test"));
      },
    });
    const [, protocol] = await loop.connectDuplexPipe(() => new WebStreamProtocol(), {
      readable: failing,
      writable: new WritableStream(),
    });
    await assertRejects(() => collect(protocol.readable), Deno.errors.ConnectionReset);
    await assertRejects(
      () => protocol.writable.getWriter().write(new Uint8Array(1)),
      Deno.errors.ConnectionReset,
    );
  });
});

Deno.test("WebStreamProtocol: bad input is refused at the call", async () => {
  assertThrows(() => new WebStreamProtocol({ highWaterMark: -1 }), RangeError);
  await run(async () => {
    const loop = getRunningLoop();
    const server = await webStreamServer((protocol) => {
      protocol.readable.pipeTo(protocol.writable);
    });
    const [transport, client] = await loop.createConnection(
      () => new WebStreamProtocol(),
      "127.0.0.1",
      portOf(server),
    );
    const writer = client.writable.getWriter();
    await assertRejects(
      // deno-lint-ignore no-explicit-any
      () => writer.write("text" as any),
      TypeError,
    );
    transport.close();
    server.close();
    await server.waitClosed();
  });
});

Deno.test("connectDuplexPipe: asyncio streams over a pair of TransformStreams", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const toProtocol = new TransformStream<Uint8Array, Uint8Array>();
    const fromProtocol = new TransformStream<Uint8Array, Uint8Array>();
    const reader = new StreamReader();
    const [transport] = await loop.connectDuplexPipe(
      () => new StreamReaderProtocol(reader),
      { readable: toProtocol.readable, writable: fromProtocol.writable },
    );
    assert(transport.canWriteEof());
    const input = toProtocol.writable.getWriter();
    await input.write(new TextEncoder().encode("first\nsecond\n"));
    assertEquals(new TextDecoder().decode(await reader.readline()), "first\n");
    assertEquals(new TextDecoder().decode(await reader.readline()), "second\n");
    transport.write(new TextEncoder().encode("reply"));
    transport.writeEof();
    assertEquals(new TextDecoder().decode(await collect(fromProtocol.readable)), "reply");
    await input.close();
    assert(reader.atEof() || (await reader.read()).length === 0);
    transport.close();
  });
});

Deno.test("connectDuplexPipe: a paused transport stops pulling its readable", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    let pulls = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(1024));
      },
    }, { highWaterMark: 0 });
    const paused = Promise.withResolvers<void>();
    class PauseAtOnce extends Protocol {
      transport!: Transport;
      override connectionMade(transport: Transport): void {
        this.transport = transport;
      }
      override dataReceived(): void {
        this.transport.pauseReading();
        paused.resolve();
      }
    }
    const [transport] = await loop.connectDuplexPipe(() => new PauseAtOnce(), {
      readable: source,
      writable: new WritableStream(),
    });
    await paused.promise;
    const atPause = pulls;
    // Let the loop run other I/O for a while: no read is asked for, so no pull.
    for (let i = 0; i < 20; i++) await loop.createTask(() => Promise.resolve());
    assert(pulls <= atPause + 1, `pulled ${pulls - atPause} more chunks while paused`);
    transport.close();
  });
});

Deno.test("connectDuplexPipe: refuses what is not a readable and writable pair", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    await assertRejects(
      // deno-lint-ignore no-explicit-any
      () => loop.connectDuplexPipe(() => new Protocol(), { readable: new ReadableStream() } as any),
      TypeError,
    );
  });
});
