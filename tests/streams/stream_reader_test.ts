// StreamReader on its own, fed by hand: every method, its errors and its
// limits, as asyncio's streams.py (readuntil with several separators as
// Python 3.13); then its flow control against a transport, fake and real.
import {
  createTask,
  getRunningLoop,
  IncompleteReadError,
  LimitOverrunError,
  run,
  RuntimeError,
  sleep,
  StreamReader,
  StreamReaderProtocol,
  Transport,
} from "../../mod.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "../deps.ts";
import { randomBytes, sha256 } from "../_peers.ts";
import { bytes, concat, iterations, streamPair, text } from "./_helpers.ts";

/** A reader fed `chunks`, then EOF unless `eof` is false. */
function fedReader(
  chunks: string[],
  { limit, eof = true }: { limit?: number; eof?: boolean } = {},
) {
  const reader = new StreamReader(limit);
  for (const chunk of chunks) reader.feedData(bytes(chunk));
  if (eof) reader.feedEof();
  return reader;
}

/** Feeds `chunks` one loop iteration apart, from a task, then EOF. */
function feedLater(reader: StreamReader, chunks: string[], eof = true) {
  return createTask(async () => {
    for (const chunk of chunks) {
      await sleep(0);
      reader.feedData(bytes(chunk));
    }
    await sleep(0);
    if (eof) reader.feedEof();
  });
}

// ---- read -----------------------------------------------------------------------

Deno.test("read(-1) and read() read everything up to EOF, across chunks fed later", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const feeder = feedLater(reader, ["one ", "two ", "three"]);
    assertEquals(text(await reader.read()), "one two three");
    await feeder;
    assertEquals((await reader.read(-1)).length, 0, "at EOF: empty");
    assert(reader.atEof());
  });
});

Deno.test("read(-1) reads more than the limit, in limit-sized blocks", async () => {
  await run(async () => {
    const reader = new StreamReader(10);
    const data = randomBytes(1000);
    reader.feedData(data);
    reader.feedEof();
    assertEquals(await reader.read(-1), data);
  });
});

Deno.test("read(0) returns empty at once, even with nothing buffered and no EOF", async () => {
  await run(async () => {
    const reader = new StreamReader();
    assertEquals((await reader.read(0)).length, 0);
    reader.feedData(bytes("abc"));
    assertEquals((await reader.read(0)).length, 0);
    assertEquals(text(await reader.read(3)), "abc", "read(0) consumed nothing");
  });
});

Deno.test("read(n) returns what is buffered, at most n, waiting only when empty", async () => {
  await run(async () => {
    const reader = new StreamReader();
    reader.feedData(bytes("abcdef"));
    assertEquals(text(await reader.read(4)), "abcd");
    assertEquals(text(await reader.read(100)), "ef", "fewer than n: no waiting for more");
    const pending = createTask(() => reader.read(5));
    await iterations(3);
    assert(!pending.done(), "an empty buffer waits");
    reader.feedData(bytes("ghijklmn"));
    assertEquals(text(await pending), "ghijk");
    reader.feedEof();
    assertEquals(text(await reader.read(100)), "lmn");
    assertEquals((await reader.read(5)).length, 0, "at EOF: empty");
    assertEquals((await reader.read(5)).length, 0, "and again");
  });
});

Deno.test("read: EOF wakes a pending read with an empty result", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const pending = createTask(() => reader.read(10));
    await sleep(0);
    reader.feedEof();
    assertEquals((await pending).length, 0);
  });
});

Deno.test("read: a count that is not an integer is a TypeError", async () => {
  await run(async () => {
    const reader = fedReader(["abc"]);
    await assertRejects(() => reader.read(1.5), TypeError);
    await assertRejects(() => reader.read("3" as unknown as number), TypeError);
    assertEquals(text(await reader.read()), "abc", "nothing was consumed");
  });
});

Deno.test("the returned bytes are the reader's no longer: feeding more leaves them unchanged", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const chunk = bytes("hello\n");
    reader.feedData(chunk);
    chunk.fill(0); // the reader copied it
    const line = await reader.readline();
    reader.feedData(bytes("XXXXXX"));
    assertEquals(text(line), "hello\n");
  });
});

// ---- readline ---------------------------------------------------------------------

Deno.test("readline: lines up to and including \\n, across chunks; a partial line at EOF", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const feeder = feedLater(reader, ["li", "ne1\nline", "2\n", "\n", "last"]);
    assertEquals(text(await reader.readline()), "line1\n");
    assertEquals(text(await reader.readline()), "line2\n");
    assertEquals(text(await reader.readline()), "\n");
    assertEquals(text(await reader.readline()), "last", "the partial line at EOF");
    assertEquals((await reader.readline()).length, 0, "then empty");
    assertEquals((await reader.readline()).length, 0);
    await feeder;
    assert(reader.atEof());
  });
});

Deno.test("readline: a line over the limit is RangeError and dropped with its \\n", async () => {
  await run(async () => {
    // asyncio's test_readline_limit: the whole line goes, the next one stays.
    const reader = fedReader(["chunk1", "chunk2\n", "chunk3\n"], { limit: 7 });
    await assertRejects(() => reader.readline(), RangeError);
    assertEquals(text(await reader.readline()), "chunk3\n");
    assertEquals((await reader.readline()).length, 0);

    const single = fedReader(["chunk1", "chunk2", "chunk3\n"], { limit: 7 });
    await assertRejects(() => single.readline(), RangeError);
    assert(single.atEof(), "the one long line was all there was");

    // test_readline_limit_with_existing_data
    const existing = fedReader(["li", "ne1\nline2\n"], { limit: 3, eof: false });
    await assertRejects(() => existing.readline(), RangeError);
    existing.feedEof();
    assertEquals(text(await existing.read()), "line2\n");
  });
});

Deno.test("readline: an over-limit line without \\n yet is RangeError; the buffer is cleared", async () => {
  await run(async () => {
    const reader = fedReader(["li", "ne1", "li"], { limit: 5, eof: false });
    await assertRejects(() => reader.readline(), RangeError);
    reader.feedData(bytes("rest\nnext\n"));
    reader.feedEof();
    // As asyncio: what was buffered went; the rest of the long line reads as a line.
    assertEquals(text(await reader.readline()), "rest\n");
    assertEquals(text(await reader.readline()), "next\n");
  });
});

Deno.test("readline: a line of exactly the limit (plus \\n) is fine; one more byte is not", async () => {
  await run(async () => {
    const reader = fedReader(["12345\n", "123456\n", "ok\n"], { limit: 5 });
    assertEquals(text(await reader.readline()), "12345\n");
    await assertRejects(() => reader.readline(), RangeError);
    assertEquals(text(await reader.readline()), "ok\n");
  });
});

Deno.test("readline: an over-limit line that arrives while readline waits is dropped", async () => {
  await run(async () => {
    const reader = new StreamReader(4);
    const feeder = feedLater(reader, ["ab", "cdefgh", "ij\nkl\n"]);
    await assertRejects(() => reader.readline(), RangeError);
    // Whatever of the long line had not arrived yet reads as the next line.
    const rest: string[] = [];
    for await (const line of reader) rest.push(text(line));
    await feeder;
    assertEquals(rest.at(-1), "kl\n");
    assertEquals(rest.join("").endsWith("ij\nkl\n"), true);
  });
});

Deno.test("readline: an over-limit line drops only what it consumed, whatever arrives meanwhile", async () => {
  await run(async () => {
    // Data fed by another task right after the over-long part: at most the
    // long line goes (Python drops `consumed` bytes, or the line and its
    // \n); the complete lines after it stay. Tried at several microtask
    // offsets, since a JS coroutine resumes over several of them.
    for (let hops = 0; hops < 8; hops++) {
      const reader = new StreamReader(3);
      const line = createTask(() => reader.readline());
      await sleep(0);
      reader.feedData(bytes("abcdef"));
      await sleep(0);
      for (let i = 0; i < hops; i++) await null;
      reader.feedData(bytes("gh\nnext\n"));
      await assertRejects(() => line, RangeError);
      reader.feedEof();
      const rest = text(await reader.read());
      assert(
        rest === "gh\nnext\n" || rest === "next\n",
        `after ${hops} microtasks, what is left should be "gh\\nnext\\n" or "next\\n", ` +
          `not ${JSON.stringify(rest)}`,
      );
    }
  });
});

// ---- readexactly -----------------------------------------------------------------

Deno.test("readexactly: exactly n bytes, waiting for them across chunks", async () => {
  await run(async () => {
    const reader = new StreamReader(4);
    const feeder = feedLater(reader, ["abc", "defgh", "ijklmnop"]);
    assertEquals(text(await reader.readexactly(2)), "ab");
    assertEquals(text(await reader.readexactly(10)), "cdefghijkl", "more than the limit");
    assertEquals((await reader.readexactly(0)).length, 0);
    assertEquals(text(await reader.readexactly(4)), "mnop");
    await feeder;
  });
});

Deno.test("readexactly: EOF first is IncompleteReadError with partial and expected", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const feeder = feedLater(reader, ["abc", "de"]);
    const error = await reader.readexactly(10).then(
      () => assert(false, "should have failed"),
      (e) => e,
    );
    await feeder;
    assert(error instanceof IncompleteReadError);
    assertEquals(text(error.partial), "abcde");
    assertStrictEquals(error.expected, 10);
    assert(reader.atEof(), "the partial data was consumed");
    const again = await reader.readexactly(1).catch((e) => e);
    assert(again instanceof IncompleteReadError);
    assertEquals(again.partial.length, 0);
    assertStrictEquals(again.expected, 1);
  });
});

Deno.test("readexactly: a negative or fractional count is refused", async () => {
  await run(async () => {
    const reader = fedReader(["abc"]);
    await assertRejects(() => reader.readexactly(-1), RangeError);
    await assertRejects(() => reader.readexactly(1.5), TypeError);
    assertEquals(text(await reader.readexactly(3)), "abc", "nothing consumed");
  });
});

// ---- readuntil --------------------------------------------------------------------

Deno.test("readuntil: up to and including a multi-byte separator split across chunks", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const feeder = feedLater(reader, ["GET / HTTP/1.1\r", "\nHost: x\r\n\r", "\nbody"]);
    const crlf = bytes("\r\n");
    assertEquals(text(await reader.readuntil(crlf)), "GET / HTTP/1.1\r\n");
    assertEquals(text(await reader.readuntil(bytes("\r\n\r\n"))), "Host: x\r\n\r\n");
    await feeder;
    assertEquals(text(await reader.readuntil(bytes("dy"))), "body");
    assert(reader.atEof());
  });
});

Deno.test("readuntil: IncompleteReadError at EOF holds the partial data (maybe part of the separator)", async () => {
  await run(async () => {
    const reader = fedReader(["some data\r"]);
    const error = await reader.readuntil(bytes("\r\n")).catch((e) => e);
    assert(error instanceof IncompleteReadError);
    assertEquals(text(error.partial), "some data\r");
    assertStrictEquals(error.expected, null);
    assert(reader.atEof(), "the buffer is reset");
  });
});

Deno.test("readuntil: several separators: the match that ends first wins (Python 3.13)", async () => {
  await run(async () => {
    const reader = fedReader(["aaa\nbbb!!\n", "ccc!!ddd"]);
    const seps = [bytes("!!"), bytes("\n")];
    assertEquals(text(await reader.readuntil(seps)), "aaa\n");
    assertEquals(text(await reader.readuntil(seps)), "bbb!!");
    assertEquals(text(await reader.readuntil(seps)), "\n");
    assertEquals(text(await reader.readuntil(seps)), "ccc!!");
    const error = await reader.readuntil(seps).catch((e) => e);
    assert(error instanceof IncompleteReadError);
    assertEquals(text(error.partial), "ddd");

    // Overlapping: "=" ends before "==", whatever the order given.
    for (const order of [["==", "="], ["=", "=="]]) {
      const r = fedReader(["xx==yy"]);
      assertEquals(text(await r.readuntil(order.map(bytes))), "xx=");
      assertEquals(text(await r.readuntil(order.map(bytes))), "=");
    }
    // A longer separator that ends first wins over a shorter one that ends later.
    const r = fedReader(["ab--cd-"]);
    assertEquals(text(await r.readuntil([bytes("-"), bytes("b--")])), "ab-");
    const r2 = fedReader(["abcd--x-"]);
    assertEquals(text(await r2.readuntil([bytes("x-"), bytes("cd--")])), "abcd--");
  });
});

Deno.test("readuntil: several separators completed by a later chunk", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const feeder = feedLater(reader, ["header\r", "\n\r", "\nrest"]);
    const seps = [bytes("\r\n\r\n"), bytes("\n\n")];
    assertEquals(text(await reader.readuntil(seps)), "header\r\n\r\n");
    await feeder;
    assertEquals(text(await reader.read()), "rest");
  });
});

Deno.test("readuntil: equal ends: the shorter separator's start counts for the limit", async () => {
  await run(async () => {
    // "\n" and "b\n" both end at 3; the shortest wins, starting at 2 > limit 1.
    const reader = fedReader(["ab\n"], { limit: 1 });
    const error = await reader.readuntil([bytes("b\n"), bytes("\n")]).catch((e) => e);
    assert(error instanceof LimitOverrunError);
    assertStrictEquals(error.consumed, 2);
    const ok = fedReader(["ab\n"], { limit: 2 });
    assertEquals(text(await ok.readuntil([bytes("b\n"), bytes("\n")])), "ab\n");
  });
});

Deno.test("readuntil: LimitOverrunError (found beyond the limit) gives consumed; the data stays", async () => {
  await run(async () => {
    const reader = fedReader(["abcdefgh\nrest"], { limit: 4 });
    const error = await reader.readuntil().catch((e) => e);
    assert(error instanceof LimitOverrunError);
    assertStrictEquals(error.consumed, 8);
    assert(error.message.includes("limit"));
    assertEquals(text(await reader.readexactly(9)), "abcdefgh\n", "the data stayed");
    assertEquals(text(await reader.read()), "rest");
  });
});

Deno.test("readuntil: LimitOverrunError (not found within the limit) gives consumed; the data stays", async () => {
  await run(async () => {
    const reader = fedReader(["abcdefgh"], { limit: 4, eof: false });
    const one = await reader.readuntil().catch((e) => e);
    assert(one instanceof LimitOverrunError);
    assertStrictEquals(one.consumed, 8, "buflen + 1 - len(separator)");
    const two = await reader.readuntil(bytes("\r\n")).catch((e) => e);
    assert(two instanceof LimitOverrunError);
    assertStrictEquals(two.consumed, 7);
    const many = await reader.readuntil([bytes("\n"), bytes("xyz")]).catch((e) => e);
    assert(many instanceof LimitOverrunError);
    assertStrictEquals(many.consumed, 6, "counted with the longest separator");
    reader.feedEof();
    assertEquals(text(await reader.read()), "abcdefgh");
  });
});

Deno.test("readuntil: LimitOverrunError while waiting, once the buffer outgrows the limit", async () => {
  await run(async () => {
    const reader = new StreamReader(5);
    const feeder = feedLater(reader, ["abc", "def", "ghi\n"], false);
    const error = await reader.readuntil().catch((e) => e);
    assert(error instanceof LimitOverrunError);
    assert(error.consumed > 5);
    await feeder;
    reader.feedEof();
    assertEquals(text(await reader.read()), "abcdefghi\n", "nothing was consumed");
  });
});

Deno.test("readuntil: bad separators are refused at the call", async () => {
  await run(async () => {
    const reader = fedReader(["a\n"]);
    await assertRejects(() => reader.readuntil(new Uint8Array(0)), RangeError);
    await assertRejects(() => reader.readuntil([]), RangeError);
    await assertRejects(() => reader.readuntil([bytes("\n"), new Uint8Array(0)]), RangeError);
    await assertRejects(() => reader.readuntil("\n" as unknown as Uint8Array), TypeError);
    await assertRejects(() => reader.readuntil(["\n" as unknown as Uint8Array]), TypeError);
    assertEquals(text(await reader.readline()), "a\n", "nothing consumed");
  });
});

// ---- EOF, errors, state ------------------------------------------------------------

Deno.test("atEof: only once EOF was fed and the buffer is empty", async () => {
  await run(async () => {
    const reader = new StreamReader();
    assert(!reader.atEof());
    reader.feedData(bytes("x"));
    reader.feedEof();
    assert(!reader.atEof(), "data still buffered");
    await reader.read(1);
    assert(reader.atEof());
  });
});

Deno.test("feedEof wakes pending reads: readline gets the partial line, readexactly fails", async () => {
  await run(async () => {
    const reader = new StreamReader();
    reader.feedData(bytes("part"));
    const line = createTask(() => reader.readline());
    await sleep(0);
    reader.feedEof();
    assertEquals(text(await line), "part");

    const other = new StreamReader();
    const exact = createTask(() => other.readexactly(3));
    await sleep(0);
    other.feedEof();
    const error = await exact.then(() => null, (e) => e);
    assert(error instanceof IncompleteReadError);
    assertEquals(error.partial.length, 0);
  });
});

Deno.test("feedData after feedEof is an error; feeding nothing is fine", async () => {
  await run(() => {
    const reader = new StreamReader();
    reader.feedData(new Uint8Array(0));
    assert(!reader.atEof());
    reader.feedEof();
    assertThrows(() => reader.feedData(bytes("late")), RuntimeError);
    assert(reader.atEof(), "the late data was not taken");
    reader.feedEof(); // twice is harmless
  });
});

Deno.test("feedData takes bytes only: a string is a TypeError", async () => {
  await run(async () => {
    const reader = new StreamReader();
    assertThrows(() => reader.feedData("text" as unknown as Uint8Array), TypeError);
    assertThrows(() => reader.feedData(null as unknown as Uint8Array), TypeError);
    assertThrows(() => reader.feedData([1, 2] as unknown as Uint8Array), TypeError);
    reader.feedData(new Uint8Array([104, 105]));
    reader.feedEof();
    assertEquals(text(await reader.read()), "hi");
  });
});

Deno.test("setException: a pending read rejects with it, and so does every later read", async () => {
  await run(async () => {
    const reader = new StreamReader();
    assertStrictEquals(reader.exception(), null);
    const pending = createTask(() => reader.readline());
    await sleep(0);
    const boom = new Error("boom");
    reader.setException(boom);
    await assertRejects(() => pending, (e) => e === boom);
    assertStrictEquals(reader.exception(), boom);
    reader.feedData(bytes("data\n"));
    for (
      const op of [
        () => reader.read(),
        () => reader.read(1),
        () => reader.readline(),
        () => reader.readexactly(1),
        () => reader.readuntil(bytes("\n")),
      ]
    ) {
      await assertRejects(op, (e) => e === boom);
    }
    // read(0) and readexactly(0) check the exception first too, as asyncio.
    await assertRejects(() => reader.read(0), (e) => e === boom);
  });
});

Deno.test("setException wakes each kind of pending read", async () => {
  await run(async () => {
    for (
      const op of [
        (r: StreamReader) => r.read(),
        (r: StreamReader) => r.read(5).then(() => r.read(5)),
        (r: StreamReader) => r.readexactly(5),
        (r: StreamReader) => r.readuntil([bytes("\r\n"), bytes("!")]),
        (r: StreamReader) => r.readline(),
      ]
    ) {
      const reader = new StreamReader();
      reader.feedData(bytes("ab"));
      const pending = createTask(() => op(reader));
      await sleep(0);
      const error = new Deno.errors.ConnectionReset("reset");
      reader.setException(error);
      await assertRejects(() => pending, (e) => e === error);
    }
  });
});

Deno.test("for await yields the lines, the last partial one included", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const feeder = feedLater(reader, ["one\ntw", "o\n", "three"]);
    const lines: string[] = [];
    for await (const line of reader) lines.push(text(line));
    assertEquals(lines, ["one\n", "two\n", "three"]);
    await feeder;
    const empty = fedReader([]);
    for await (const _ of empty) assert(false, "no lines");
  });
});

Deno.test("two reads at once: the second is a RuntimeError; the first still gets its data", async () => {
  await run(async () => {
    const reader = new StreamReader();
    const first = createTask(() => reader.readline());
    await sleep(0);
    for (
      const op of [
        () => reader.read(),
        () => reader.read(1),
        () => reader.readline(),
        () => reader.readexactly(2),
        () => reader.readuntil(bytes("x")),
      ]
    ) {
      await assertRejects(op, RuntimeError);
    }
    reader.feedData(bytes("the line\n"));
    assertEquals(text(await first), "the line\n");
  });
});

Deno.test("a bad limit is a RangeError", async () => {
  await run(() => {
    for (const limit of [0, -1, 1.5, Number.NaN, -Infinity, Infinity]) {
      assertThrows(() => new StreamReader(limit), RangeError, `limit ${limit}`);
    }
    assertEquals(new StreamReader().limit, 65536);
    assertEquals(new StreamReader(1).limit, 1);
  });
});

Deno.test("toString describes the state", async () => {
  await run(() => {
    const reader = new StreamReader(10);
    reader.feedData(bytes("abc"));
    reader.feedEof();
    const description = String(reader);
    assert(description.startsWith("<StreamReader"), description);
    assert(description.includes("3 bytes"), description);
    assert(description.includes("eof"), description);
  });
});

// ---- linearity ---------------------------------------------------------------------

Deno.test("linear: 100 MiB fed in 64 KiB chunks reads as 80-byte lines", async () => {
  await run(async () => {
    const LINE = 80;
    const CHUNK = 64 * 1024;
    const TOTAL = 100 * 1024 * 1024;
    // Lines "0000000123 xxx...x\n", cut wherever the 64 KiB chunks fall.
    const period = new Uint8Array(CHUNK + LINE);
    for (let i = 0; i < period.length; i++) period[i] = i % LINE === LINE - 1 ? 10 : 97 + (i % 26);
    const reader = new StreamReader();
    const consumer = createTask(async () => {
      let lines = 0;
      let size = 0;
      let bad = 0;
      for (;;) {
        const line = await reader.readline();
        if (line.length === 0) break;
        if (line.length !== LINE || line[LINE - 1] !== 10) bad++;
        lines++;
        size += line.length;
      }
      return { lines, size, bad };
    });
    for (let fed = 0; fed < TOTAL; fed += CHUNK) {
      const offset = fed % LINE;
      reader.feedData(period.subarray(offset, offset + CHUNK));
      await sleep(0); // a yield: the consumer runs when it has data
    }
    reader.feedEof();
    const { lines, size, bad } = await consumer;
    assertEquals(size, TOTAL);
    assertEquals(lines, TOTAL / LINE);
    assertEquals(bad, 0);
  });
});

Deno.test("linear: one 8 MiB line arriving in 1 KiB chunks is found without rescanning", async () => {
  await run(async () => {
    const CHUNK = 1024;
    const TOTAL = 8 * 1024 * 1024;
    const reader = new StreamReader(TOTAL);
    const line = createTask(() => reader.readuntil(bytes("\r\n")));
    const chunk = new Uint8Array(CHUNK).fill(120);
    for (let fed = 0; fed < TOTAL - CHUNK; fed += CHUNK) {
      reader.feedData(chunk);
      await sleep(0);
    }
    reader.feedData(concat([chunk.subarray(2), bytes("\r\n")]));
    assertEquals((await line).length, TOTAL);
  });
});

// ---- flow control --------------------------------------------------------------------

/** A transport that only records pauseReading/resumeReading. */
class FakeTransport extends Transport {
  reading = true;
  log: string[] = [];
  override isReading(): boolean {
    return this.reading;
  }
  override pauseReading(): void {
    this.log.push("pause");
    this.reading = false;
  }
  override resumeReading(): void {
    this.log.push("resume");
    this.reading = true;
  }
  override isClosing(): boolean {
    return false;
  }
  override close(): void {}
}

Deno.test("flow control: reading pauses above 2 × limit and resumes at or below the limit", async () => {
  await run(async () => {
    const reader = new StreamReader(10);
    const protocol = new StreamReaderProtocol(reader);
    const transport = new FakeTransport();
    protocol.connectionMade(transport);
    protocol.dataReceived(new Uint8Array(20));
    assertEquals(transport.log, [], "2 × limit exactly: still reading");
    protocol.dataReceived(new Uint8Array(1));
    assertEquals(transport.log, ["pause"]);
    protocol.dataReceived(new Uint8Array(5)); // 26 buffered
    assertEquals(transport.log, ["pause"], "paused once");
    await reader.readexactly(15); // 11 left: above the limit
    assertEquals(transport.log, ["pause"]);
    await reader.read(1); // 10 left
    assertEquals(transport.log, ["pause", "resume"]);
    assertEquals((await reader.read(100)).length, 10);
    assertEquals(transport.log, ["pause", "resume"]);
  });
});

Deno.test("flow control: readexactly(n) with n > 2 × limit resumes reading instead of deadlocking", async () => {
  await run(async () => {
    const reader = new StreamReader(4);
    const protocol = new StreamReaderProtocol(reader);
    const transport = new FakeTransport();
    protocol.connectionMade(transport);
    protocol.dataReceived(new Uint8Array(9));
    assertEquals(transport.log, ["pause"]);
    const exact = createTask(() => reader.readexactly(30));
    await sleep(0);
    assertEquals(transport.log, ["pause", "resume"], "waiting while paused resumes");
    protocol.dataReceived(new Uint8Array(21));
    assertEquals((await exact).length, 30);
    protocol.eofReceived();
    assert(reader.atEof());
  });
});

Deno.test("flow control: a transport that cannot pause is left alone", async () => {
  await run(async () => {
    class NoPause extends FakeTransport {
      override pauseReading(): void {
        Transport.prototype.pauseReading.call(this); // NotImplementedError
      }
    }
    const reader = new StreamReader(2);
    const protocol = new StreamReaderProtocol(reader);
    protocol.connectionMade(new NoPause());
    protocol.dataReceived(new Uint8Array(10));
    protocol.dataReceived(new Uint8Array(10));
    assertEquals((await reader.read(100)).length, 20);
  });
});

Deno.test("back-pressure: a peer sending far more than 2 × limit pauses the reading side; all arrives", async () => {
  await run(async () => {
    const LIMIT = 16 * 1024;
    const TOTAL = 24 * 1024 * 1024;
    const pair = await streamPair({ serverLimit: LIMIT });
    const { writer, peerReader, peerWriter } = pair;
    try {
      // Spy on the receiving transport and on what reaches the reader.
      const transport = peerWriter.transport;
      const loop = getRunningLoop();
      const paused = loop.createFuture<void>();
      let pauses = 0;
      let resumes = 0;
      const pause = transport.pauseReading.bind(transport);
      const resume = transport.resumeReading.bind(transport);
      transport.pauseReading = () => {
        pauses++;
        pause();
        if (!paused.done()) paused.setResult();
      };
      transport.resumeReading = () => {
        resumes++;
        resume();
      };
      let fed = 0;
      let consumed = 0;
      let maxBuffered = 0;
      const feed = peerReader.feedData.bind(peerReader);
      peerReader.feedData = (data: Uint8Array) => {
        feed(data);
        fed += data.length;
        maxBuffered = Math.max(maxBuffered, fed - consumed);
      };

      const data = randomBytes(TOTAL);
      const sent = createTask(async () => {
        for (let i = 0; i < TOTAL; i += 256 * 1024) {
          writer.write(data.subarray(i, i + 256 * 1024));
          await writer.drain();
        }
        writer.writeEof();
      });
      await paused;
      assert(!transport.isReading(), "the reading side is paused");
      // Nobody reads: the sender fills the socket and then its own buffer, and blocks.
      await iterations(20);
      assert(!sent.done(), "the sender's drain() blocks while nobody reads");
      assert(fed < TOTAL, `the reader did not take everything (${fed} of ${TOTAL})`);

      const blocks: Uint8Array[] = [];
      for (;;) {
        const block = await peerReader.read(LIMIT);
        if (block.length === 0) break;
        consumed += block.length;
        blocks.push(block);
      }
      await sent;
      const received = concat(blocks);
      assertEquals(received.length, TOTAL);
      assertEquals(await sha256(received), await sha256(data));
      assert(pauses >= 1 && resumes >= 1, `paused ${pauses}, resumed ${resumes}`);
      assert(
        maxBuffered <= 2 * LIMIT + 256 * 1024,
        `the reader's buffer stayed bounded (max ${maxBuffered} bytes)`,
      );
    } finally {
      await pair.close();
    }
  });
});
