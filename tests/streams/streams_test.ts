// openConnection/startServer and their Unix twins; client callbacks, plain
// and async, and their failures; the limit option; the examples built on
// streams (the documentation's echo pair, the chat server).
import {
  CancelledError,
  createTask,
  currentTask,
  type ExceptionContext,
  getRunningLoop,
  openConnection,
  openUnixConnection,
  run,
  type Server,
  startServer,
  startUnixServer,
  StreamReader,
  StreamWriter,
} from "../../mod.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals } from "../deps.ts";
import { randomBytes, sha256 } from "../_peers.ts";
import { main as echoServerMain } from "../../examples/tcp_echo_server_streams.ts";
import { tcpEchoClient } from "../../examples/tcp_echo_client_streams.ts";
import { main as chatMain } from "../../examples/chat_server.ts";
import { bytes, portOf, text } from "./_helpers.ts";

/** Runs `body` with console.log collected instead of printed. */
async function quietly<T>(body: (lines: string[]) => Promise<T>): Promise<T> {
  const lines: string[] = [];
  const saved = console.log;
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  try {
    return await body(lines);
  } finally {
    console.log = saved;
  }
}

Deno.test("startServer with a plain callback; openConnection gets a reader and a writer", async () => {
  await run(async () => {
    const server = await startServer(
      (reader, writer) => {
        assert(reader instanceof StreamReader);
        assert(writer instanceof StreamWriter);
        writer.write(bytes("welcome\n"));
        writer.close();
      },
      "127.0.0.1",
      0,
    );
    try {
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      assert(reader instanceof StreamReader);
      assert(writer instanceof StreamWriter);
      assertEquals(text(await reader.readline()), "welcome\n");
      assertEquals((await reader.read()).length, 0);
      writer.close();
      await writer.waitClosed();
    } finally {
      server.close();
      await server.waitClosed();
    }
  });
});

Deno.test("startServer with an async callback: it runs as a task, one per connection", async () => {
  await run(async () => {
    const tasks = new Set<unknown>();
    const server = await startServer(
      async (reader, writer) => {
        tasks.add(currentTask());
        for await (const line of reader) writer.write(bytes(text(line).toUpperCase()));
        writer.close();
        await writer.waitClosed();
      },
      "127.0.0.1",
      0,
    );
    try {
      const clients = await Promise.all(
        [0, 1, 2].map(() => openConnection("127.0.0.1", portOf(server))),
      );
      for (const [i, [, writer]] of clients.entries()) {
        writer.write(bytes(`hello ${i}\nbye ${i}\n`));
        writer.writeEof();
      }
      for (const [i, [reader, writer]] of clients.entries()) {
        assertEquals(text(await reader.read()), `HELLO ${i}\nBYE ${i}\n`);
        writer.close();
        await writer.waitClosed();
      }
      assertEquals(tasks.size, 3, "each connection got its own task");
      assert(![...tasks].includes(null));
    } finally {
      server.close();
      await server.waitClosed();
    }
  });
});

Deno.test("a failing async callback goes to the exception handler and closes that connection only", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const reports: ExceptionContext[] = [];
    const reported = loop.createFuture<void>();
    loop.setExceptionHandler((_loop, context) => {
      reports.push(context);
      if (!reported.done()) reported.setResult();
    });
    const server = await startServer(
      async (reader, writer) => {
        const line = text(await reader.readline());
        if (line.startsWith("boom")) throw new Error("handler bug");
        writer.write(bytes(`served ${line}`));
        await writer.drain();
        writer.close();
      },
      "127.0.0.1",
      0,
    );
    try {
      const [badReader, badWriter] = await openConnection("127.0.0.1", portOf(server));
      const [goodReader, goodWriter] = await openConnection("127.0.0.1", portOf(server));
      badWriter.write(bytes("boom\n"));
      await reported;
      assertEquals((await badReader.read()).length, 0, "that connection was closed");
      assertEquals(reports.length, 1);
      assertEquals(reports[0].message, "Unhandled exception in client_connected_cb");
      assertEquals((reports[0].exception as Error).message, "handler bug");
      // The other connection, and new ones, are still served.
      goodWriter.write(bytes("one\n"));
      assertEquals(text(await goodReader.read()), "served one\n");
      const [lateReader, lateWriter] = await openConnection("127.0.0.1", portOf(server));
      lateWriter.write(bytes("two\n"));
      assertEquals(text(await lateReader.read()), "served two\n");
      assert(server.isServing());
      for (const w of [badWriter, goodWriter, lateWriter]) {
        w.close();
        await w.waitClosed();
      }
      assertEquals(reports.length, 1);
    } finally {
      server.close();
      await server.waitClosed();
    }
  });
});

Deno.test("a plain callback whose promise rejects is reported too, and closes its connection", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const reported = loop.createFuture<ExceptionContext>();
    loop.setExceptionHandler((_loop, context) => {
      if (!reported.done()) reported.setResult(context);
    });
    const handler = async (reader: StreamReader) => {
      await reader.readline();
      throw new Error("rejected");
    };
    const server = await startServer((reader) => handler(reader), "127.0.0.1", 0);
    try {
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      writer.write(bytes("go\n"));
      const context = await reported;
      assertEquals((context.exception as Error).message, "rejected");
      assertEquals((await reader.read()).length, 0);
      writer.close();
      await writer.waitClosed();
    } finally {
      server.close();
      await server.waitClosed();
    }
  });
});

Deno.test("a plain callback that throws is reported and closes its connection", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const reported = loop.createFuture<ExceptionContext>();
    loop.setExceptionHandler((_loop, context) => {
      if (!reported.done()) reported.setResult(context);
    });
    const server = await startServer(
      () => {
        throw new Error("sync bug");
      },
      "127.0.0.1",
      0,
    );
    try {
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      const context = await reported;
      assertEquals((context.exception as Error).message, "sync bug");
      assertEquals((await reader.read()).length, 0);
      writer.close();
      await writer.waitClosed();
    } finally {
      server.close();
      await server.waitClosed();
    }
  });
});

Deno.test("a cancelled async callback closes its connection, without a report", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const reports: ExceptionContext[] = [];
    loop.setExceptionHandler((_loop, context) => reports.push(context));
    // Wrapped: a Task is a thenable, which awaiting the future would adopt.
    const handlerTask = loop.createFuture<{ task: { cancel(): boolean } }>();
    const server = await startServer(
      async (reader) => {
        handlerTask.setResult({ task: currentTask()! });
        await reader.readline();
      },
      "127.0.0.1",
      0,
    );
    try {
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server));
      (await handlerTask).task.cancel();
      assertEquals((await reader.read()).length, 0, "closed");
      assertEquals(reports, []);
      writer.close();
      await writer.waitClosed();
    } finally {
      server.close();
      await server.waitClosed();
    }
  });
});

Deno.test("the limit option reaches the readers on both sides", async () => {
  await run(async () => {
    const accepted = getRunningLoop().createFuture<[StreamReader, StreamWriter]>();
    const server = await startServer(
      (reader, writer) => accepted.setResult([reader, writer]),
      "127.0.0.1",
      0,
      { limit: 50 },
    );
    try {
      const [reader, writer] = await openConnection("127.0.0.1", portOf(server), { limit: 10 });
      const [peerReader, peerWriter] = await accepted;
      assertEquals(reader.limit, 10);
      assertEquals(peerReader.limit, 50);
      writer.write(bytes("x".repeat(60) + "\nshort\n"));
      await assertRejects(() => peerReader.readline(), RangeError);
      assertEquals(text(await peerReader.readline()), "short\n");
      peerWriter.write(bytes("y".repeat(20) + "\nok\n"));
      await assertRejects(() => reader.readline(), RangeError);
      assertEquals(text(await reader.readline()), "ok\n");
      await assertRejects(
        () => openConnection("127.0.0.1", portOf(server), { limit: 0 }),
        RangeError,
      );
      for (const w of [writer, peerWriter]) {
        w.close();
        await w.waitClosed();
      }
    } finally {
      server.close();
      await server.waitClosed();
    }
  });
});

Deno.test("startServer: a callback that is not a function is a TypeError at the call", async () => {
  await run(async () => {
    await assertRejects(
      () => startServer(null as unknown as () => void, "127.0.0.1", 0),
      TypeError,
    );
    await assertRejects(
      () => startUnixServer("cb" as unknown as () => void, "/tmp/nowhere.sock"),
      TypeError,
    );
  });
});

Deno.test("openConnection to a closed port rejects with ConnectionRefused", async () => {
  await run(async () => {
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    await assertRejects(() => openConnection("127.0.0.1", port), Deno.errors.ConnectionRefused);
  });
});

Deno.test("await using a server from startServer closes it", async () => {
  await run(async () => {
    let server: Server;
    {
      await using s = await startServer(() => {}, "127.0.0.1", 0);
      server = s;
      assert(s.isServing());
    }
    assert(!server.isServing());
  });
});

Deno.test("startUnixServer / openUnixConnection on a temporary path", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/streams.sock`;
  try {
    await run(async () => {
      const server = await startUnixServer(
        async (reader, writer) => {
          assertStrictEquals(reader.limit, 100);
          const data = await reader.read();
          writer.write(bytes(`${data.length} `));
          writer.write(bytes(await sha256(data)));
          writer.close();
        },
        path,
        { limit: 100 },
      );
      try {
        assertEquals(server.sockets[0].getsockname(), path);
        const [reader, writer] = await openUnixConnection(path, { limit: 7 });
        assertEquals(reader.limit, 7);
        assertEquals(writer.getExtraInfo("peername"), path);
        assert(writer.canWriteEof());
        const data = randomBytes(1024 * 1024 + 3);
        writer.write(data);
        writer.writeEof();
        assertEquals(text(await reader.read()), `${data.length} ${await sha256(data)}`);
        writer.close();
        await writer.waitClosed();
      } finally {
        server.close();
        await server.waitClosed();
      }
      await assertRejects(() => openUnixConnection(path), Deno.errors.NotFound);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples: the documentation's streams echo server and client", async () => {
  await run(async () => {
    await quietly(async (lines) => {
      const ready = getRunningLoop().createFuture<Server>();
      const serving = createTask(() => echoServerMain(0, (server) => ready.setResult(server)));
      const server = await ready;
      await tcpEchoClient("Hello World!", portOf(server));
      await tcpEchoClient("second client", portOf(server));
      serving.cancel();
      await assertRejects(() => serving, CancelledError);
      assert(!server.isServing());
      for (
        const expected of [
          "Serving on",
          'Send: "Hello World!"',
          'Received "Hello World!" from ["127.0.0.1",',
          'Received: "Hello World!"',
          'Received: "second client"',
          "Close the connection",
        ]
      ) {
        assert(lines.some((l) => l.includes(expected)), `${expected} in:\n${lines.join("\n")}`);
      }
    });
  });
});

Deno.test("examples: the chat server relays lines between two clients", async () => {
  await run(async () => {
    await quietly(async () => {
      const ready = getRunningLoop().createFuture<Server>();
      const serving = createTask(() => chatMain(0, (server) => ready.setResult(server)));
      const port = portOf(await ready);
      const nameOf = (writer: StreamWriter) => {
        const [host, p] = writer.getExtraInfo("sockname") as [string, number];
        return `${host}:${p}`;
      };
      const line = async (reader: StreamReader) => text(await reader.readline());

      const [aReader, aWriter] = await openConnection("127.0.0.1", port);
      const a = nameOf(aWriter);
      assertEquals(await line(aReader), `welcome ${a}\n`);
      const [bReader, bWriter] = await openConnection("127.0.0.1", port);
      const b = nameOf(bWriter);
      assertEquals(await line(bReader), `welcome ${b}\n`);
      assertEquals(await line(aReader), `${b}: joined\n`);

      aWriter.write(bytes("hello from a\n"));
      assertEquals(await line(bReader), `${a}: hello from a\n`);
      bWriter.write(bytes("hi a, this is b\n"));
      assertEquals(await line(aReader), `${b}: hi a, this is b\n`);

      bWriter.write(bytes("/quit\n"));
      assertEquals((await bReader.read()).length, 0, "b was let go");
      assertEquals(await line(aReader), `${b}: left\n`);
      bWriter.close();
      await bWriter.waitClosed();

      aWriter.write(bytes("/quit\n"));
      assertEquals((await aReader.read()).length, 0);
      aWriter.close();
      await aWriter.waitClosed();

      serving.cancel();
      await assertRejects(() => serving, CancelledError);
    });
  });
});
