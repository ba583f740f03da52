// Handles: callSoon / callLater / callAt, cancellation, argument checks and
// the exception handler that failing callbacks go to.
import { assert, assertEquals, assertStrictEquals, assertThrows } from "../deps.ts";
import {
  EventLoop,
  type ExceptionContext,
  Handle,
  logger,
  newEventLoop,
  RuntimeError,
  TimerHandle,
} from "../../mod.ts";

function captureLog(method: "error" | "warning"): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const saved = logger[method];
  logger[method] = (message: string) => {
    lines.push(message);
  };
  return { lines, restore: () => void (logger[method] = saved) };
}

/** A deterministic shuffle of 0..n-1. */
function shuffled(n: number): number[] {
  const perm = Array.from({ length: n }, (_, i) => i);
  let seed = 12345;
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm;
}

/** Runs the loop until the callbacks scheduled so far and their follow-ups settle. */
async function runUntilStopped(loop: EventLoop): Promise<void> {
  await loop.runForever();
}

Deno.test("callSoon: callbacks run in FIFO order", async () => {
  const loop = newEventLoop();
  try {
    const order: number[] = [];
    for (let i = 0; i < 5; i++) loop.callSoon(() => order.push(i));
    loop.callSoon(() => loop.stop());
    await runUntilStopped(loop);
    assertEquals(order, [0, 1, 2, 3, 4]);
  } finally {
    loop.close();
  }
});

Deno.test("callSoon: the extra arguments are passed to the callback", async () => {
  const loop = newEventLoop();
  try {
    const seen: unknown[][] = [];
    const obj = { a: 1 };
    loop.callSoon((...args: unknown[]) => seen.push(args), 1, "two", obj);
    loop.callSoon((...args: unknown[]) => seen.push(args));
    loop.callSoon(() => loop.stop());
    await runUntilStopped(loop);
    assertEquals(seen.length, 2);
    assertEquals(seen[0][0], 1);
    assertEquals(seen[0][1], "two");
    assertStrictEquals(seen[0][2], obj);
    assertEquals(seen[1], []);
  } finally {
    loop.close();
  }
});

Deno.test("callSoon: returns a Handle; cancel() prevents the callback from running", async () => {
  const loop = newEventLoop();
  try {
    const ran: string[] = [];
    const h1 = loop.callSoon(() => ran.push("h1"));
    const h2 = loop.callSoon(() => ran.push("h2"));
    assert(h1 instanceof Handle);
    assert(!(h1 instanceof TimerHandle));
    assertEquals(h1.cancelled(), false);
    h1.cancel();
    assertEquals(h1.cancelled(), true);
    h1.cancel(); // cancelling twice is a no-op
    assertEquals(h1.cancelled(), true);
    loop.callSoon(() => loop.stop());
    await runUntilStopped(loop);
    assertEquals(ran, ["h2"]);
    assertEquals(h2.cancelled(), false);
  } finally {
    loop.close();
  }
});

Deno.test("callSoon: a handle cancelled by an earlier callback of the same iteration does not run", async () => {
  const loop = newEventLoop();
  try {
    const ran: string[] = [];
    loop.callSoon(() => {
      ran.push("first");
      second.cancel();
    });
    const second = loop.callSoon(() => ran.push("second"));
    loop.callSoon(() => loop.stop());
    await runUntilStopped(loop);
    assertEquals(ran, ["first"]);
  } finally {
    loop.close();
  }
});

Deno.test("callSoon: a callback scheduled by a callback runs in the next iteration, after the current ones", async () => {
  const loop = newEventLoop();
  try {
    const order: string[] = [];
    loop.callSoon(() => {
      order.push("a");
      loop.callSoon(() => order.push("c"));
    });
    loop.callSoon(() => order.push("b"));
    loop.callSoon(() => loop.callSoon(() => loop.callSoon(() => loop.stop())));
    await runUntilStopped(loop);
    assertEquals(order, ["a", "b", "c"]);
  } finally {
    loop.close();
  }
});

Deno.test("callSoon: a non-callable callback throws TypeError", () => {
  const loop = newEventLoop();
  try {
    assertThrows(() => loop.callSoon(42 as unknown as () => void), TypeError);
    assertThrows(() => loop.callLater(0, null as unknown as () => void), TypeError);
    assertThrows(() => loop.callAt(loop.time(), "x" as unknown as () => void), TypeError);
  } finally {
    loop.close();
  }
});

Deno.test("callSoon, callLater and callAt on a closed loop throw RuntimeError", () => {
  const loop = newEventLoop();
  loop.close();
  assertThrows(() => loop.callSoon(() => {}), RuntimeError);
  assertThrows(() => loop.callLater(0, () => {}), RuntimeError);
  assertThrows(() => loop.callAt(loop.time(), () => {}), RuntimeError);
  assertThrows(() => loop.callSoonThreadsafe(() => {}), RuntimeError);
});

Deno.test("callSoonThreadsafe schedules like callSoon", async () => {
  const loop = newEventLoop();
  try {
    const order: number[] = [];
    loop.callSoon(() => order.push(1));
    const h = loop.callSoonThreadsafe((x: number) => order.push(x), 2);
    assert(h instanceof Handle);
    loop.callSoon(() => loop.stop());
    await runUntilStopped(loop);
    assertEquals(order, [1, 2]);
  } finally {
    loop.close();
  }
});

Deno.test("callLater: returns a TimerHandle whose when() is time() + delay", () => {
  const loop = newEventLoop();
  try {
    const before = loop.time();
    const timer = loop.callLater(10, () => {});
    const after = loop.time();
    assert(timer instanceof TimerHandle);
    assert(timer instanceof Handle);
    assert(timer.when() >= before + 10 && timer.when() <= after + 10);
    timer.cancel();
    assert(timer.cancelled());
  } finally {
    loop.close();
  }
});

Deno.test("callAt: when() is exactly the time given", () => {
  const loop = newEventLoop();
  try {
    const when = loop.time() + 123.5;
    const timer = loop.callAt(when, () => {});
    assertStrictEquals(timer.when(), when);
    timer.cancel();
  } finally {
    loop.close();
  }
});

Deno.test("callLater: a non-number delay throws TypeError, NaN throws RangeError", () => {
  const loop = newEventLoop();
  try {
    assertThrows(() => loop.callLater("1" as unknown as number, () => {}), TypeError);
    assertThrows(() => loop.callLater(undefined as unknown as number, () => {}), TypeError);
    assertThrows(() => loop.callLater(1n as unknown as number, () => {}), TypeError);
    assertThrows(() => loop.callLater(NaN, () => {}), RangeError);
    assertThrows(() => loop.callAt("5" as unknown as number, () => {}), TypeError);
    assertThrows(() => loop.callAt(NaN, () => {}), RangeError);
  } finally {
    loop.close();
  }
});

Deno.test("callLater: timers run in order of their deadlines", async () => {
  const loop = newEventLoop();
  try {
    const order: string[] = [];
    loop.callLater(0.03, () => {
      order.push("30ms");
      loop.stop();
    });
    loop.callLater(0.01, () => order.push("10ms"));
    loop.callLater(0.02, () => order.push("20ms"));
    loop.callLater(0, () => order.push("0ms"));
    loop.callSoon(() => order.push("soon"));
    await runUntilStopped(loop);
    assertEquals(order, ["soon", "0ms", "10ms", "20ms", "30ms"]);
  } finally {
    loop.close();
  }
});

Deno.test("callAt: timers with equal deadlines run first-in first-out", async () => {
  const loop = newEventLoop();
  try {
    const order: number[] = [];
    const when = loop.time() + 0.005;
    for (let i = 0; i < 20; i++) loop.callAt(when, () => order.push(i));
    loop.callAt(when, () => loop.stop());
    await runUntilStopped(loop);
    assertEquals(order, Array.from({ length: 20 }, (_, i) => i));
  } finally {
    loop.close();
  }
});

Deno.test("callLater: a negative delay or a past callAt runs at once", async () => {
  const loop = newEventLoop();
  try {
    const order: string[] = [];
    loop.callLater(-5, () => order.push("negative"));
    loop.callAt(loop.time() - 100, () => order.push("past"));
    loop.callSoon(() => loop.callSoon(() => loop.stop()));
    await runUntilStopped(loop);
    // The earlier deadline first.
    assertEquals(order, ["past", "negative"]);
  } finally {
    loop.close();
  }
});

Deno.test("callLater: a cancelled timer never runs", async () => {
  const loop = newEventLoop();
  try {
    const ran: string[] = [];
    const t1 = loop.callLater(0.005, () => ran.push("cancelled"));
    loop.callLater(0.01, () => {
      ran.push("kept");
      loop.stop();
    });
    t1.cancel();
    assert(t1.cancelled());
    await runUntilStopped(loop);
    assertEquals(ran, ["kept"]);
  } finally {
    loop.close();
  }
});

Deno.test("callLater: a timer cancelled by a callback just before its deadline does not run", async () => {
  const loop = newEventLoop();
  try {
    const ran: string[] = [];
    const when = loop.time() + 0.005;
    loop.callAt(when, () => {
      ran.push("first");
      second.cancel();
    });
    const second = loop.callAt(when, () => ran.push("second"));
    loop.callAt(when + 0.001, () => loop.stop());
    await runUntilStopped(loop);
    assertEquals(ran, ["first"]);
  } finally {
    loop.close();
  }
});

Deno.test("callLater: timer arguments are passed", async () => {
  const loop = newEventLoop();
  try {
    let got: unknown[] = [];
    loop.callLater(
      0,
      (a: number, b: string) => {
        got = [a, b];
        loop.stop();
      },
      7,
      "x",
    );
    await runUntilStopped(loop);
    assertEquals(got, [7, "x"]);
  } finally {
    loop.close();
  }
});

// A loop whose clock the test moves, so that timers far in the future
// become due without waiting.
class ManualClockLoop extends EventLoop {
  now = 0;
  override time(): number {
    return this.now;
  }
}

/** Checks `ran` is exactly `expected`, without a slow diff of huge arrays. */
function assertSameSequence(ran: number[], expected: number[]): void {
  assertEquals(ran.length, expected.length);
  const bad = ran.findIndex((value, i) => value !== expected[i]);
  assertEquals(bad, -1, `first difference at index ${bad}: ${ran[bad]} != ${expected[bad]}`);
}

Deno.test("timer heap: 100000 timers, most cancelled before the run, the rest run in deadline order", async () => {
  const loop = newEventLoop();
  try {
    const n = 100_000;
    // Deadlines in the past, shuffled, so that all are due on the first
    // iteration and the heap (compacted first) must order them.
    const base = loop.time() - 10;
    const perm = shuffled(n);
    const ran: number[] = [];
    const handles: TimerHandle[] = [];
    for (let i = 0; i < n; i++) {
      const k = perm[i];
      handles.push(loop.callAt(base + k * 1e-5, () => ran.push(k)));
    }
    for (let i = 0; i < n; i++) {
      if (perm[i] % 10 !== 0) handles[i].cancel();
    }
    loop.callSoon(() => loop.callSoon(() => loop.stop()));
    await runUntilStopped(loop);
    assertSameSequence(ran, Array.from({ length: n / 10 }, (_, i) => i * 10));
  } finally {
    loop.close();
  }
});

Deno.test("timer heap: 100000 pending timers, most cancelled while the loop runs, the rest run in order", async () => {
  const loop = new ManualClockLoop();
  try {
    const n = 100_000;
    const perm = shuffled(n);
    const ran: number[] = [];
    const handles: TimerHandle[] = [];
    for (let i = 0; i < n; i++) {
      const k = perm[i];
      handles.push(loop.callAt(1 + k * 1e-6, () => ran.push(k)));
    }
    // Cancel 99% from inside the loop, over several iterations, while the
    // timers are not due: the loop compacts its heap between iterations.
    let next = 0;
    const cancelSome = () => {
      const end = Math.min(n, next + 20_000);
      for (; next < end; next++) {
        if (perm[next] % 100 !== 0) handles[next].cancel();
      }
      if (next < n) {
        loop.callSoon(cancelSome);
      } else {
        // Cancelling a cancelled (maybe already dropped) timer again is a no-op.
        for (let i = 0; i < n; i += 7) handles[i].cancel();
        loop.now = 10; // every timer is due now
      }
    };
    loop.callSoon(cancelSome);
    loop.callAt(5, () => loop.stop());
    await runUntilStopped(loop);
    const expected: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = perm[i];
      if (k % 100 === 0 && i % 7 !== 0) expected.push(k);
    }
    expected.sort((a, b) => a - b);
    assertSameSequence(ran, expected);
  } finally {
    loop.close();
  }
});

// Counts the loop's reads of its clock: about one per iteration.
class ClockCountingLoop extends EventLoop {
  reads = 0;
  override time(): number {
    this.reads++;
    return super.time();
  }
}

Deno.test("callLater: a timer due in years (beyond setTimeout's 24.8-day range) leaves the loop idle", async () => {
  for (const delay of [100, 1e9, Infinity]) {
    const loop = new ClockCountingLoop();
    try {
      const timer = loop.callLater(delay, () => {
        throw new Error("must not run");
      });
      const stopper = setTimeout(() => loop.stop(), 20);
      try {
        await loop.runForever();
      } finally {
        clearTimeout(stopper);
      }
      timer.cancel();
      // An idle loop reads its clock a few times; one that wakes every
      // millisecond for a timer it cannot arm reads it dozens of times.
      assert(loop.reads < 10, `delay ${delay}: ${loop.reads} clock reads in 20 ms`);
    } finally {
      loop.close();
    }
  }
});

Deno.test("Handle and TimerHandle toString name the callback and its arguments", () => {
  const loop = newEventLoop();
  try {
    const greet = function greet(_who: string) {};
    const h = loop.callSoon(greet, "world");
    assert(h.toString().includes("greet"), h.toString());
    assert(h.toString().includes('"world"'), h.toString());
    const t = loop.callLater(1, greet, "x");
    assert(t.toString().startsWith("<TimerHandle"), t.toString());
    assert(t.toString().includes("when="), t.toString());
    t.cancel();
    assert(t.toString().includes("cancelled"), t.toString());
  } finally {
    loop.close();
  }
});

// ---- the exception handler ------------------------------------------------

Deno.test("exception handler: a callback that throws reaches it with (loop, context) and the loop goes on", async () => {
  const loop = newEventLoop();
  try {
    const calls: [EventLoop, ExceptionContext][] = [];
    loop.setExceptionHandler((l, context) => calls.push([l, context]));
    const error = new Error("boom");
    const order: string[] = [];
    const handle = loop.callSoon(function failing() {
      order.push("failing");
      throw error;
    });
    loop.callSoon(() => order.push("next"));
    loop.callSoon(() => loop.callSoon(() => loop.stop()));
    await runUntilStopped(loop);
    assertEquals(order, ["failing", "next"]);
    assertEquals(calls.length, 1);
    const [l, context] = calls[0];
    assertStrictEquals(l, loop);
    assertStrictEquals(context.exception, error);
    assertStrictEquals(context.handle, handle);
    assertEquals(typeof context.message, "string");
    assert(context.message.includes("Exception in callback"), context.message);
  } finally {
    loop.close();
  }
});

Deno.test("exception handler: a timer callback that throws reaches it too", async () => {
  const loop = newEventLoop();
  try {
    const contexts: ExceptionContext[] = [];
    loop.setExceptionHandler((_l, context) => contexts.push(context));
    const timer = loop.callLater(0, () => {
      throw new TypeError("in timer");
    });
    loop.callLater(0.001, () => loop.stop());
    await runUntilStopped(loop);
    assertEquals(contexts.length, 1);
    assert(contexts[0].exception instanceof TypeError);
    assertStrictEquals(contexts[0].handle, timer);
  } finally {
    loop.close();
  }
});

Deno.test("exception handler: setExceptionHandler/getExceptionHandler, null restores the default", () => {
  const loop = newEventLoop();
  try {
    assertStrictEquals(loop.getExceptionHandler(), null);
    const handler = () => {};
    loop.setExceptionHandler(handler);
    assertStrictEquals(loop.getExceptionHandler(), handler);
    loop.setExceptionHandler(null);
    assertStrictEquals(loop.getExceptionHandler(), null);
    assertThrows(
      () => loop.setExceptionHandler("nope" as unknown as () => void),
      TypeError,
    );
  } finally {
    loop.close();
  }
});

Deno.test("exception handler: one that throws falls back to the default handler", async () => {
  const loop = newEventLoop();
  const log = captureLog("error");
  try {
    loop.setExceptionHandler(() => {
      throw new Error("handler is broken");
    });
    loop.callSoon(() => {
      throw new Error("original");
    });
    let after = false;
    loop.callSoon(() => after = true);
    loop.callSoon(() => loop.stop());
    await runUntilStopped(loop);
    assert(after, "the loop went on");
    assertEquals(log.lines.length, 1);
    assert(log.lines[0].includes("Unhandled error in exception handler"), log.lines[0]);
    assert(log.lines[0].includes("handler is broken"), log.lines[0]);
  } finally {
    log.restore();
    loop.close();
  }
});

Deno.test("exception handler: without a custom handler, the default one logs through logger.error", async () => {
  const loop = newEventLoop();
  const log = captureLog("error");
  try {
    loop.callSoon(function explode() {
      throw new Error("kaboom");
    });
    loop.callSoon(() => loop.stop());
    await runUntilStopped(loop);
    assertEquals(log.lines.length, 1);
    assert(log.lines[0].includes("Exception in callback"), log.lines[0]);
    assert(log.lines[0].includes("explode"), log.lines[0]);
    assert(log.lines[0].includes("kaboom"), log.lines[0]);
  } finally {
    log.restore();
    loop.close();
  }
});

Deno.test("defaultExceptionHandler writes the message, the context keys and the stack to logger.error", () => {
  const loop = newEventLoop();
  const log = captureLog("error");
  try {
    const error = new RangeError("bad value");
    loop.defaultExceptionHandler({ message: "Something failed", exception: error, extra: "info" });
    assertEquals(log.lines.length, 1);
    const text = log.lines[0];
    assert(text.startsWith("Something failed"), text);
    assert(text.includes("extra: info"), text);
    assert(text.includes("RangeError: bad value"), text);
  } finally {
    log.restore();
    loop.close();
  }
});

Deno.test("callExceptionHandler: calls the custom handler, never throws", () => {
  const loop = newEventLoop();
  const log = captureLog("error");
  try {
    const seen: ExceptionContext[] = [];
    loop.setExceptionHandler((_l, c) => seen.push(c));
    loop.callExceptionHandler({ message: "custom" });
    assertEquals(seen.map((c) => c.message), ["custom"]);
    loop.setExceptionHandler(() => {
      throw new Error("x");
    });
    loop.callExceptionHandler({ message: "custom 2" }); // does not throw
    assertEquals(log.lines.length, 1);
  } finally {
    log.restore();
    loop.close();
  }
});
