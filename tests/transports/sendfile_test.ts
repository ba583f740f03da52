// sendfile and sockSendfile: the fallback path, flow control, offsets and
// counts, the file position, bad input, faults and cancellation.
import {
  AF_INET,
  CancelledError,
  createTask,
  DatagramProtocol,
  type DatagramTransport,
  getRunningLoop,
  Protocol,
  run,
  RuntimeError,
  SendfileNotAvailableError,
  SOCK_DGRAM,
  type Transport,
} from "../../mod.ts";
import { socket } from "../../transports/sockets.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "../deps.ts";
import { randomBytes, sha256 } from "../_peers.ts";
import { portOf, Recorder } from "./_helpers.ts";
import { tempDir } from "./_udp_helpers.ts";

/** A temporary file with `data`, opened for reading. */
async function fileWith(data: Uint8Array) {
  const dir = await tempDir();
  const path = `${dir.path}/data.bin`;
  await Deno.writeFile(path, data);
  const file = await Deno.open(path);
  return {
    file,
    path,
    async [Symbol.asyncDispose]() {
      try {
        file.close();
      } catch {
        // Closed by the test.
      }
      await dir.cleanup();
    },
  };
}

/** A server that collects what each connection sends, and a client transport. */
async function sinkPair<C extends Recorder, S extends Recorder = Recorder>(
  makeClient: () => C,
  makeSink: () => S = () => new Recorder() as S,
) {
  const loop = getRunningLoop();
  const serverSide = loop.createFuture<S>();
  const server = await loop.createServer(
    () => {
      const p = makeSink();
      if (!serverSide.done()) serverSide.setResult(p);
      return p;
    },
    "127.0.0.1",
    0,
  );
  const [transport, client] = await loop.createConnection(makeClient, "127.0.0.1", portOf(server));
  const sink = await serverSide;
  await sink.made;
  return {
    server,
    transport,
    client,
    sink,
    async close() {
      transport.close();
      await sink.lost;
      server.close();
      await server.waitClosed();
    },
  };
}

async function position(file: Deno.FsFile): Promise<number> {
  return await file.seek(0, Deno.SeekMode.Current);
}

Deno.test("sendfile: a file through a TCP transport, within the high-water mark", async () => {
  const data = randomBytes(5 * 1024 * 1024 + 77);
  await using f = await fileWith(data);
  await run(async () => {
    const loop = getRunningLoop();
    const pair = await sinkPair(() => new Recorder());
    const { transport, client, sink } = pair;
    let maxBuffered = 0;
    let writes = 0;
    const write = transport.write.bind(transport);
    transport.write = (chunk: Uint8Array) => {
      write(chunk);
      writes++;
      maxBuffered = Math.max(maxBuffered, transport.getWriteBufferSize());
    };
    const [low, high] = transport.getWriteBufferLimits();
    assertEquals(await loop.sendfile(transport, f.file), data.length);
    assert(writes > 10);
    assert(maxBuffered <= high, `buffered ${maxBuffered} > ${high}`);
    assertEquals(transport.getWriteBufferLimits(), [low, high]); // restored
    assertStrictEquals(transport.getProtocol(), client); // restored
    assertEquals(await position(f.file), data.length);
    await sink.receivedAtLeast(data.length);
    assertEquals(await sha256(sink.received()), await sha256(data));
    // The protocol's flow-control calls alternate, and none is left pending once drained.
    const flow = client.events.filter((e) => e === "pause" || e === "resume");
    assert(flow.every((e, i) => e === (i % 2 === 0 ? "pause" : "resume")), flow.join());
    assertEquals(flow.length % 2, 0, flow.join());
    await pair.close();
  });
});

Deno.test("sendfile: offset and count; the file position ends after the last byte sent", async () => {
  const data = randomBytes(300_000);
  await using f = await fileWith(data);
  await run(async () => {
    const loop = getRunningLoop();
    const pair = await sinkPair(() => new Recorder());
    assertEquals(await loop.sendfile(pair.transport, f.file, 1000, 5000), 5000);
    assertEquals(await position(f.file), 6000);
    // A count past the end sends what there is.
    assertEquals(await loop.sendfile(pair.transport, f.file, 290_000, 50_000), 10_000);
    assertEquals(await position(f.file), 300_000);
    // At the end: nothing to send.
    assertEquals(await loop.sendfile(pair.transport, f.file, 300_000), 0);
    await pair.sink.receivedAtLeast(15_000);
    const expected = new Uint8Array(15_000);
    expected.set(data.subarray(1000, 6000));
    expected.set(data.subarray(290_000), 5000);
    assertEquals(await sha256(pair.sink.received()), await sha256(expected));
    await pair.close();
  });
});

Deno.test("sendfile: small water marks, data received meanwhile, the protocol restored", async () => {
  const data = randomBytes(1024 * 1024);
  await using f = await fileWith(data);
  await run(async () => {
    const loop = getRunningLoop();
    const pair = await sinkPair(() => new Recorder());
    pair.transport.setWriteBufferLimits(4096, 1024);
    let maxBuffered = 0;
    const write = pair.transport.write.bind(pair.transport);
    pair.transport.write = (chunk: Uint8Array) => {
      write(chunk);
      maxBuffered = Math.max(maxBuffered, pair.transport.getWriteBufferSize());
    };
    const sending = loop.sendfile(pair.transport, f.file);
    // The peer talks while the file goes: dataReceived still reaches the protocol.
    pair.sink.transport.write(new TextEncoder().encode("meanwhile"));
    await pair.client.receivedAtLeast(9);
    assertEquals(await sending, data.length);
    assert(maxBuffered <= 1024 + 16 * 1024, `buffered ${maxBuffered}`);
    assertEquals(pair.transport.getWriteBufferLimits(), [1024, 4096]);
    assertStrictEquals(pair.transport.getProtocol(), pair.client);
    await pair.sink.receivedAtLeast(data.length);
    assertEquals(await sha256(pair.sink.received()), await sha256(data));
    await pair.close();
  });
});

Deno.test("sendfile: a Unix socket transport", async () => {
  const data = randomBytes(700_000);
  await using f = await fileWith(data);
  const dir = await tempDir();
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const path = `${dir.path}/s.sock`;
      const serverSide = loop.createFuture<Recorder>();
      const server = await loop.createUnixServer(() => {
        const p = new Recorder();
        serverSide.setResult(p);
        return p;
      }, path);
      const [transport] = await loop.createUnixConnection(() => new Recorder(), path);
      assertEquals(await loop.sendfile(transport, f.file), data.length);
      const sink = await serverSide;
      await sink.receivedAtLeast(data.length);
      assertEquals(await sha256(sink.received()), await sha256(data));
      transport.close();
      await sink.lost;
      server.close();
      await server.waitClosed();
    });
  } finally {
    await dir.cleanup();
  }
});

Deno.test("sendfile: fallback false, bad input, closing and datagram transports", async () => {
  await using f = await fileWith(randomBytes(1000));
  await run(async () => {
    const loop = getRunningLoop();
    const pair = await sinkPair(() => new Recorder());
    const t = pair.transport;
    await assertRejects(
      () => loop.sendfile(t, f.file, 0, null, { fallback: false }),
      SendfileNotAvailableError,
      "zero-copy",
    );
    await assertRejects(() => loop.sendfile(t, f.file, -1), RangeError);
    await assertRejects(() => loop.sendfile(t, f.file, 1.5), TypeError);
    await assertRejects(() => loop.sendfile(t, f.file, 0, 0), RangeError, "positive");
    await assertRejects(() => loop.sendfile(t, f.file, 0, 2.5), TypeError);
    await assertRejects(() => loop.sendfile(t, "/etc/hosts" as never), TypeError, "Deno.FsFile");
    const [udp, up] = await loop.createDatagramEndpoint(() => new DatagramProtocol(), {
      family: AF_INET,
    });
    await assertRejects(
      () => loop.sendfile(udp as DatagramTransport as never, f.file),
      RuntimeError,
      "not supported",
    );
    udp.close();
    void up;
    await pair.close();
    await assertRejects(() => loop.sendfile(t, f.file), RuntimeError, "closing");
  });
});

Deno.test("sendfile: the peer going away rejects, and the protocol gets connectionLost", async () => {
  const data = randomBytes(8 * 1024 * 1024);
  await using f = await fileWith(data);
  await run(async () => {
    const loop = getRunningLoop();
    class AbortOnData extends Recorder {
      override onData(): void {
        this.transport.abort();
      }
    }
    const serverSide = loop.createFuture<Recorder>();
    const server = await loop.createServer(
      () => {
        const p = new AbortOnData();
        serverSide.setResult(p);
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
    const error = await loop.sendfile(transport, f.file).then(() => null, (e) => e);
    assert(error instanceof Error, String(error));
    assert((await client.lost) instanceof Error || client.lostError === null);
    assertStrictEquals(transport.getProtocol(), client);
    assert((await position(f.file)) < data.length);
    await (await serverSide).lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("sendfile: cancelled, it stops; the file position is what went to the transport", async () => {
  const data = randomBytes(16 * 1024 * 1024);
  await using f = await fileWith(data);
  await run(async () => {
    const loop = getRunningLoop();
    const pair = await sinkPair(() => new Recorder());
    const task = createTask(() => loop.sendfile(pair.transport, f.file));
    await pair.sink.receivedAtLeast(100_000);
    task.cancel();
    await assertRejects(() => task, CancelledError);
    assertStrictEquals(pair.transport.getProtocol(), pair.client);
    const sent = await position(f.file);
    assert(sent > 0 && sent < data.length, `position ${sent}`);
    // What went to the transport is flushed at close, and nothing more.
    pair.transport.close();
    await pair.sink.lost;
    assertEquals(pair.sink.receivedLength, sent);
    assertEquals(await sha256(pair.sink.received()), await sha256(data.subarray(0, sent)));
    pair.server.close();
    await pair.server.waitClosed();
  });
});

Deno.test("sockSendfile: a file over a connected socket, with offset and count", async () => {
  const data = randomBytes(3 * 1024 * 1024 + 5);
  await using f = await fileWith(data);
  await run(async () => {
    const loop = getRunningLoop();
    using server = socket();
    server.bind(["127.0.0.1", 0]);
    server.listen();
    using client = socket();
    await loop.sockConnect(client, server.getsockname());
    const [conn] = await loop.sockAccept(server);
    using _conn = conn;
    const receive = async (n: number) => {
      const chunks: Uint8Array[] = [];
      let total = 0;
      while (total < n) {
        const chunk = await loop.sockRecv(conn, 65536);
        chunks.push(chunk);
        total += chunk.length;
      }
      const out = new Uint8Array(total);
      let offset = 0;
      for (const c of chunks) {
        out.set(c, offset);
        offset += c.length;
      }
      return out;
    };
    const [sent, received] = await Promise.all([
      loop.sockSendfile(client, f.file),
      receive(data.length),
    ]);
    assertEquals(sent, data.length);
    assertEquals(await sha256(received), await sha256(data));
    assertEquals(await position(f.file), data.length);
    const [part, partReceived] = await Promise.all([
      loop.sockSendfile(client, f.file, 10, 1_000_000),
      receive(1_000_000),
    ]);
    assertEquals(part, 1_000_000);
    assertEquals(await sha256(partReceived), await sha256(data.subarray(10, 1_000_010)));
    assertEquals(await position(f.file), 1_000_010);
    await assertRejects(
      () => loop.sockSendfile(client, f.file, 0, null, { fallback: false }),
      SendfileNotAvailableError,
    );
    using udp = socket(AF_INET, SOCK_DGRAM);
    await assertRejects(() => loop.sockSendfile(udp, f.file), RangeError, "SOCK_STREAM");
    await assertRejects(() => loop.sockSendfile(socket(), f.file), Deno.errors.NotConnected);
    await assertRejects(() => loop.sockSendfile(client, f.file, -3), RangeError);
  });
});

Deno.test("sendfile through a transport made with a Socket's connection", async () => {
  const data = randomBytes(200_000);
  await using f = await fileWith(data);
  await run(async () => {
    const loop = getRunningLoop();
    const serverSide = loop.createFuture<Recorder>();
    const server = await loop.createServer(
      () => {
        const p = new Recorder();
        serverSide.setResult(p);
        return p;
      },
      "127.0.0.1",
      0,
    );
    using sock = socket();
    await loop.sockConnect(sock, ["127.0.0.1", portOf(server)]);
    const [transport]: [Transport, Protocol] = await loop.createConnection(
      () => new Protocol(),
      null,
      null,
      { sock: sock.resource as Deno.Conn },
    );
    assertEquals(await loop.sendfile(transport, f.file), data.length);
    const sink = await serverSide;
    await sink.receivedAtLeast(data.length);
    assertEquals(await sha256(sink.received()), await sha256(data));
    transport.close();
    await sink.lost;
    server.close();
    await server.waitClosed();
  });
});

Deno.test("sendfile: bytes written before go first; writes meanwhile throw; after, writes work", async () => {
  const data = randomBytes(32 * 1024 * 1024);
  await using f = await fileWith(data);
  const header = randomBytes(300_000); // more than the high-water mark: still in flight
  await run(async () => {
    const loop = getRunningLoop();
    // The sink stops reading once the file has begun: the sendfile cannot end meanwhile.
    class Stalling extends Recorder {
      readonly stalled = loop.createFuture<void>();
      override onData(): void {
        if (this.receivedLength > header.length && !this.stalled.done()) {
          this.transport.pauseReading();
          this.stalled.setResult();
        }
      }
    }
    const pair = await sinkPair(() => new Recorder(), () => new Stalling());
    pair.transport.write(header);
    const sending = loop.sendfile(pair.transport, f.file);
    await pair.sink.stalled;
    assertThrows(() => pair.transport.write(new Uint8Array(1)), RuntimeError, "in progress");
    assertThrows(() => pair.transport.writeEof(), RuntimeError, "in progress");
    pair.sink.transport.resumeReading();
    assertEquals(await sending, data.length);
    const trailer = new TextEncoder().encode("trailer");
    pair.transport.write(trailer);
    const total = header.length + data.length + trailer.length;
    await pair.sink.receivedAtLeast(total);
    const expected = new Uint8Array(total);
    expected.set(header);
    expected.set(data, header.length);
    expected.set(trailer, header.length + data.length);
    assertEquals(await sha256(pair.sink.received()), await sha256(expected));
    // The header's pause and resume reached the protocol, balanced.
    assertEquals(pair.client.events.filter((e) => e === "pause" || e === "resume"), [
      "pause",
      "resume",
    ]);
    await pair.close();
  });
});
