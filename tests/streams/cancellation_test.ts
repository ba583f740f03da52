// Cancelling a task blocked in a stream operation leaves the stream usable
// (a later read gets the data, nothing lost) or cleanly closed, and leaks
// nothing (the sanitizers check the resources).
import { CancelledError, createTask, run, StreamReader, TimeoutError, waitFor } from "../../mod.ts";
import { assert, assertEquals, assertRejects } from "../deps.ts";
import { randomBytes, sha256 } from "../_peers.ts";
import { runVirtual } from "../loop/_virtual.ts";
import { bytes, fedAtLeast, iterations, streamPair, text } from "./_helpers.ts";

Deno.test("cancel readline: the partial line stays, a later readline gets all of it", async () => {
  await run(async () => {
    const reader = new StreamReader();
    reader.feedData(bytes("abc"));
    const blocked = createTask(() => reader.readline());
    await iterations(1);
    assert(blocked.cancel());
    await assertRejects(() => blocked, CancelledError);
    reader.feedData(bytes("def\nnext\n"));
    assertEquals(text(await reader.readline()), "abcdef\n");
    assertEquals(text(await reader.readline()), "next\n");
  });
});

Deno.test("cancel readline over a connection: the rest of the line arrives, nothing lost", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { reader, peerWriter } = pair;
      const arrived = fedAtLeast(reader, 12);
      const blocked = createTask(() => reader.readline());
      peerWriter.write(bytes("first half, "));
      await arrived;
      await iterations(1);
      assert(!blocked.done());
      blocked.cancel();
      await assertRejects(() => blocked, CancelledError);
      peerWriter.write(bytes("second half\n"));
      assertEquals(text(await reader.readline()), "first half, second half\n");
    } finally {
      await pair.close();
    }
  });
});

Deno.test("cancel readexactly: the bytes that arrived stay for the next readexactly", async () => {
  await run(async () => {
    const pair = await streamPair({ limit: 1024 });
    try {
      const { reader, peerWriter } = pair;
      const data = randomBytes(100_000); // more than 2 × limit: reading pauses meanwhile
      const arrived = fedAtLeast(reader, 30_000);
      const blocked = createTask(() => reader.readexactly(data.length));
      peerWriter.write(data.subarray(0, 30_000));
      await arrived;
      await iterations(1);
      assert(!blocked.done());
      blocked.cancel();
      await assertRejects(() => blocked, CancelledError);
      peerWriter.write(data.subarray(30_000));
      const all = await reader.readexactly(data.length);
      assertEquals(await sha256(all), await sha256(data));
    } finally {
      await pair.close();
    }
  });
});

Deno.test("cancel readuntil with several separators: the data stays", async () => {
  await run(async () => {
    const reader = new StreamReader();
    reader.feedData(bytes("key=val"));
    const seps = [bytes(";"), bytes("\r\n")];
    const blocked = createTask(() => reader.readuntil(seps));
    await iterations(1);
    blocked.cancel();
    await assertRejects(() => blocked, CancelledError);
    reader.feedData(bytes("ue\r\nrest;"));
    assertEquals(text(await reader.readuntil(seps)), "key=value\r\n");
    assertEquals(text(await reader.readuntil(seps)), "rest;");
  });
});

Deno.test("waitFor(readline) times out (virtual time); the stream is still usable", async () => {
  await runVirtual(async () => {
    const reader = new StreamReader();
    reader.feedData(bytes("slow "));
    await assertRejects(() => waitFor(() => reader.readline(), 5), TimeoutError);
    await assertRejects(() => waitFor(() => reader.readexactly(10), 5), TimeoutError);
    reader.feedData(bytes("line\n"));
    assertEquals(text(await waitFor(() => reader.readline(), 5)), "slow line\n");
  });
});

Deno.test("cancel inside for await: the lines not yet read are still there", async () => {
  await run(async () => {
    const reader = new StreamReader();
    reader.feedData(bytes("1\n2\n"));
    const seen: string[] = [];
    const consumer = createTask(async () => {
      for await (const line of reader) seen.push(text(line));
    });
    await iterations(2);
    consumer.cancel();
    await assertRejects(() => consumer, CancelledError);
    assertEquals(seen, ["1\n", "2\n"]);
    reader.feedData(bytes("3\n"));
    reader.feedEof();
    const rest: string[] = [];
    for await (const line of reader) rest.push(text(line));
    assertEquals(rest, ["3\n"]);
  });
});

Deno.test("cancel drain while the peer does not read: a later drain works, every byte arrives", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { writer, peerReader, peerWriter } = pair;
      const data = randomBytes(16 * 1024 * 1024);
      peerWriter.transport.pauseReading();
      writer.write(data.subarray(0, 8 * 1024 * 1024));
      const blocked = createTask(() => writer.drain());
      await iterations(3);
      assert(!blocked.done(), "drain waits: the buffer is full");
      blocked.cancel();
      await assertRejects(() => blocked, CancelledError);
      assert(!writer.isClosing(), "the connection is still open");
      writer.write(data.subarray(8 * 1024 * 1024));
      const again = createTask(() => writer.drain());
      peerWriter.transport.resumeReading();
      const received = await peerReader.readexactly(data.length);
      await again;
      assertEquals(await sha256(received), await sha256(data));
    } finally {
      await pair.close();
    }
  });
});

Deno.test("cancel waitClosed: the writer closes cleanly and waitClosed works afterwards", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { writer, peerReader } = pair;
      const blocked = createTask(() => writer.waitClosed());
      await iterations(2);
      blocked.cancel();
      await assertRejects(() => blocked, CancelledError);
      writer.write(bytes("still open\n"));
      assertEquals(text(await peerReader.readline()), "still open\n");
      writer.close();
      assertEquals((await peerReader.read()).length, 0, "the peer sees EOF");
      // The close waiter is the protocol's, shared by every waitClosed() call:
      // cancelling one waiting task must not cancel it for the others.
      await writer.waitClosed();
    } finally {
      await pair.close();
    }
  });
});

Deno.test("a timeout on a blocked readline over a connection, then disposal: nothing leaks", async () => {
  await run(async () => {
    const pair = await streamPair();
    try {
      const { reader, writer, peerWriter } = pair;
      await assertRejects(() => waitFor(() => reader.readline(), 0.02), TimeoutError);
      peerWriter.write(bytes("late line\n"));
      assertEquals(text(await reader.readline()), "late line\n");
      await writer[Symbol.asyncDispose]();
      assert(writer.isClosing());
    } finally {
      await pair.close();
    }
  });
});

Deno.test("a read cancelled inside run() propagates CancelledError; await using still closes everything", async () => {
  const pending = run(async () => {
    const pair = await streamPair();
    await using _cleanup = { [Symbol.asyncDispose]: () => pair.close() };
    const main = createTask(() => pair.reader.readline());
    await iterations(2);
    main.cancel();
    await main;
  });
  await assertRejects(() => pending, CancelledError);
});
