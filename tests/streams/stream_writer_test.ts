// StreamWriter over real TCP connections: write/writelines, drain and its
// flow control, close/waitClosed, half-close, extra info, disposal, STARTTLS.
import {
  createTask,
  openConnection,
  run,
  RuntimeError,
  startServer,
  type StreamWriter,
  Transport,
  waitFor,
} from "../../mod.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "../deps.ts";
import { randomBytes, sha256, startPython } from "../_peers.ts";
import { bytes, iterations, portOf, streamPair, text } from "./_helpers.ts";
import { clientContext, serverContext } from "../transports/_certs.ts";

Deno.test("write and writelines reach the peer in order", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { writer, peerReader } = pair;
      writer.write(bytes("one\n"));
      writer.writelines([bytes("two\n"), bytes("three\n")]);
      writer.writelines((function* () {
        yield bytes("four\n");
        yield new Uint8Array(0);
        yield bytes("five\n");
      })());
      await writer.drain();
      const lines: string[] = [];
      for (let i = 0; i < 5; i++) lines.push(text(await peerReader.readline()));
      assertEquals(lines, ["one\n", "two\n", "three\n", "four\n", "five\n"]);
    } finally {
      await pair.close();
    }
  });
});

Deno.test("write takes bytes only: strings are a TypeError and nothing is sent", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { writer, peerReader } = pair;
      assertThrows(() => writer.write("text" as unknown as Uint8Array), TypeError);
      assertThrows(() => writer.writelines(["text" as unknown as Uint8Array]), TypeError);
      writer.write(bytes("ok"));
      writer.writeEof();
      assertEquals(text(await peerReader.read()), "ok");
    } finally {
      await pair.close();
    }
  });
});

Deno.test("write copies: the caller may reuse its buffer at once", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { writer, peerReader } = pair;
      const buffer = bytes("first");
      writer.write(buffer);
      buffer.set(bytes("XXXXX"));
      writer.write(buffer);
      writer.writeEof();
      assertEquals(text(await peerReader.read()), "firstXXXXX");
    } finally {
      await pair.close();
    }
  });
});

Deno.test("drain returns at once when the buffer is below the high-water mark", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { writer, peerWriter, peerReader } = pair;
      peerWriter.transport.pauseReading(); // nobody reads on the other side
      let drained = false;
      writer.write(bytes("small"));
      const draining = writer.drain().then(() => drained = true);
      await iterations(1);
      assert(drained, "drain() did not wait for any I/O");
      await draining;
      await writer.drain();
      peerWriter.transport.resumeReading();
      assertEquals(text(await peerReader.readexactly(5)), "small");
    } finally {
      await pair.close();
    }
  });
});

Deno.test("drain waits while the transport's buffer is above the high-water mark", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { writer, peerWriter, peerReader } = pair;
      const TOTAL = 16 * 1024 * 1024;
      const data = randomBytes(TOTAL);
      peerWriter.transport.pauseReading();
      writer.write(data);
      const [low, high] = writer.transport.getWriteBufferLimits();
      assert(writer.transport.getWriteBufferSize() > high);
      let sizeWhenDrained = -1;
      const draining = createTask(async () => {
        await writer.drain();
        sizeWhenDrained = writer.transport.getWriteBufferSize();
      });
      await iterations(10);
      assert(!draining.done(), "drain() waits while the peer reads nothing");
      // A second drain() waits too, and both return.
      const second = createTask(() => writer.drain());
      peerWriter.transport.resumeReading();
      const received = await peerReader.readexactly(TOTAL);
      await draining;
      await second;
      assert(sizeWhenDrained <= low, `drained at ${sizeWhenDrained} > low ${low}`);
      assertEquals(await sha256(received), await sha256(data));
    } finally {
      await pair.close();
    }
  });
});

// A peer that resets the connection: SO_LINGER 0 makes close() send RST.
const PY_RESETTER = `
import json, socket, struct
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen()
print(json.dumps({"port": server.getsockname()[1]}), flush=True)
conn, _ = server.accept()
conn.recv(1)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
conn.close()
server.close()
`;

Deno.test("drain throws the connection's error after the peer resets it", async () => {
  const peer = await startPython(PY_RESETTER);
  try {
    await run(async () => {
      const [reader, writer] = await openConnection("127.0.0.1", peer.ready.port as number);
      writer.write(bytes("x"));
      const error = await reader.read().then(() => null, (e) => e);
      assert(error instanceof Deno.errors.ConnectionReset, `got ${error}`);
      assertStrictEquals(reader.exception(), error);
      await assertRejects(() => writer.drain(), (e) => e === error);
      await assertRejects(() => writer.waitClosed(), (e) => e === error);
      assert(writer.isClosing());
      // Disposal does not throw the error again.
      await writer[Symbol.asyncDispose]();
    });
  } finally {
    peer.kill();
    await peer.finished;
  }
});

Deno.test("drain throws ConnectionReset once the connection is lost without an error", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { reader, writer, peerWriter } = pair;
      peerWriter.close();
      assertEquals((await reader.read()).length, 0, "EOF from the peer");
      // The write side stays open after EOF (a half-close): drain still works.
      assert(!writer.isClosing());
      await writer.drain();
      writer.close();
      await writer.waitClosed();
      await assertRejects(() => writer.drain(), Deno.errors.ConnectionReset);
    } finally {
      await pair.close();
    }
  });
});

Deno.test("drain right after close() sees the lost connection", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { writer } = pair;
      writer.write(bytes("last words"));
      writer.close();
      await assertRejects(async () => {
        for (let i = 0; i < 100; i++) {
          writer.write(bytes("more"));
          await writer.drain();
        }
      }, Deno.errors.ConnectionReset);
    } finally {
      await pair.close();
    }
  });
});

Deno.test("close, isClosing and waitClosed: buffered data is flushed, the peer sees EOF", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { writer, peerReader } = pair;
      const data = randomBytes(2 * 1024 * 1024);
      writer.write(data);
      assert(!writer.isClosing());
      writer.close();
      assert(writer.isClosing());
      writer.close(); // twice is harmless
      const received = await peerReader.read();
      assertEquals(received.length, data.length, "flushed before closing");
      assertEquals(await sha256(received), await sha256(data));
      assert(peerReader.atEof());
      await writer.waitClosed();
      await writer.waitClosed(); // again: at once
    } finally {
      await pair.close();
    }
  });
});

Deno.test("writeEof half-closes: the peer sees EOF while this side still receives", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { reader, writer, peerReader, peerWriter } = pair;
      assert(writer.canWriteEof());
      assert(peerWriter.canWriteEof());
      writer.write(bytes("request body"));
      writer.writeEof();
      assertThrows(() => writer.write(bytes("late")), RuntimeError);
      assertEquals(text(await peerReader.read()), "request body");
      assert(peerReader.atEof());
      assert(!peerWriter.isClosing(), "the peer may still answer");
      for (let i = 0; i < 3; i++) peerWriter.write(bytes(`answer ${i}\n`));
      await peerWriter.drain();
      assertEquals(text(await reader.readline()), "answer 0\n");
      peerWriter.close();
      assertEquals(text(await reader.read()), "answer 1\nanswer 2\n");
      assert(reader.atEof());
      await peerWriter.waitClosed();
    } finally {
      await pair.close();
    }
  });
});

Deno.test("transport and getExtraInfo", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { server, writer, peerWriter } = pair;
      assert(writer.transport instanceof Transport);
      const port = (server.sockets[0].getsockname() as [string, number])[1];
      assertEquals(writer.getExtraInfo("peername"), ["127.0.0.1", port]);
      assertEquals(peerWriter.getExtraInfo("peername"), writer.getExtraInfo("sockname"));
      assertEquals(
        writer.getExtraInfo("peername"),
        writer.transport.getExtraInfo("peername"),
      );
      const conn = writer.getExtraInfo<Deno.Conn>("socket")!;
      assertEquals((conn.remoteAddr as Deno.NetAddr).port, port);
      assertStrictEquals(writer.getExtraInfo("no such thing"), undefined);
      assertEquals(writer.getExtraInfo("no such thing", "fallback"), "fallback");
      assert(String(writer).startsWith("<StreamWriter"), String(writer));
    } finally {
      await pair.close();
    }
  });
});

Deno.test("await using closes the writer and waits until it is closed", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { writer, peerReader } = pair;
      {
        await using w: StreamWriter = writer;
        w.write(bytes("goodbye"));
      }
      assert(writer.isClosing());
      await writer.waitClosed(); // already done
      assertEquals(text(await peerReader.read()), "goodbye");
    } finally {
      await pair.close();
    }
  });
});

Deno.test("startTls upgrades both sides of a plain connection (STARTTLS)", async () => {
  // Made before the loop runs (openssl as a child process).
  const [serverSide, clientSide] = [await serverContext(), await clientContext()];
  await run(async () => {
    const server = await startServer(
      async (reader, writer) => {
        assertEquals(text(await reader.readline()), "STARTTLS\n");
        writer.write(bytes("GO AHEAD\n"));
        await waitFor(() => writer.startTls(serverSide), 10);
        for await (const line of reader) {
          if (text(line) === "QUIT\n") break;
          writer.write(bytes(`secure: ${text(line)}`));
        }
        writer.close();
      },
      "127.0.0.1",
      0,
    );
    try {
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      try {
        writer.write(bytes("STARTTLS\n"));
        assertEquals(text(await reader.readline()), "GO AHEAD\n");
        // Bounded, so that a handshake that never ends fails instead of hanging.
        await waitFor(() => writer.startTls(clientSide, { serverHostname: "localhost" }), 10);
        assert(writer.getExtraInfo("peercert"), "the server's certificate");
        const hex = [...randomBytes(1000)].map((b) => b.toString(16).padStart(2, "0")).join("");
        assert(!writer.canWriteEof(), "TLS has no half-close, as in asyncio");
        writer.write(bytes(`hello\n${hex}\nQUIT\n`));
        assertEquals(text(await waitFor(() => reader.readline(), 10)), "secure: hello\n");
        assertEquals(text(await waitFor(() => reader.readline(), 10)), `secure: ${hex}\n`);
        assertEquals((await waitFor(() => reader.read(), 10)).length, 0);
      } finally {
        writer.close();
        await writer.waitClosed().catch(() => {});
      }
    } finally {
      server.close();
      server.closeClients();
      await server.waitClosed();
    }
  });
});
