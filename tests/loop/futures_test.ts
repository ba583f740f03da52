// Future: the result/exception/cancel state machine, done callbacks through
// the loop, awaiting, then() and the "never retrieved" report.
import { assert, assertEquals, assertStrictEquals, assertThrows } from "../deps.ts";
import {
  CancelledError,
  type EventLoop,
  type ExceptionContext,
  Future,
  InvalidStateError,
  isFuture,
  newEventLoop,
} from "../../mod.ts";

/** Runs one or more loop iterations: stops after `n` rounds of callSoon. */
async function runIterations(loop: EventLoop, n = 1): Promise<void> {
  const step = (left: number) => {
    if (left <= 1) loop.stop();
    else loop.callSoon(step, left - 1);
  };
  loop.callSoon(step, n);
  await loop.runForever();
}

const gc = (globalThis as unknown as { gc?: () => void }).gc;

/** Collects garbage and gives finalizers a chance, until `done()` or a bound. */
async function collectUntil(done: () => boolean, rounds = 40): Promise<void> {
  assert(gc !== undefined, "run the tests with --v8-flags=--expose-gc");
  for (let i = 0; i < rounds && !done(); i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

Deno.test("Future: a new future is pending; result() and exception() throw InvalidStateError", () => {
  const loop = newEventLoop();
  try {
    const fut = new Future<number>({ loop });
    assertEquals(fut.done(), false);
    assertEquals(fut.cancelled(), false);
    assertStrictEquals(fut.getLoop(), loop);
    assertThrows(() => fut.result(), InvalidStateError);
    assertThrows(() => fut.exception(), InvalidStateError);
    assert(isFuture(fut));
    assert(!isFuture(Promise.resolve(1)));
    assert(!isFuture({ then() {} }));
  } finally {
    loop.close();
  }
});

Deno.test("Future: setResult makes it done; result() returns it and exception() is null", () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<string>();
    fut.setResult("value");
    assert(fut.done());
    assertEquals(fut.cancelled(), false);
    assertEquals(fut.result(), "value");
    assertStrictEquals(fut.exception(), null);
  } finally {
    loop.close();
  }
});

Deno.test("Future: a result of undefined or null is a result", () => {
  const loop = newEventLoop();
  try {
    const a = loop.createFuture<undefined>();
    a.setResult(undefined);
    assertStrictEquals(a.result(), undefined);
    assertStrictEquals(a.exception(), null);
    const b = loop.createFuture<null>();
    b.setResult(null);
    assertStrictEquals(b.result(), null);
  } finally {
    loop.close();
  }
});

Deno.test("Future: setException makes result() throw it and exception() return it", () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<number>();
    const error = new RangeError("bad");
    fut.setException(error);
    assert(fut.done());
    assertEquals(fut.cancelled(), false);
    assertStrictEquals(fut.exception(), error);
    const thrown = (() => {
      try {
        fut.result();
      } catch (e) {
        return e;
      }
    })();
    assertStrictEquals(thrown, error);
  } finally {
    loop.close();
  }
});

Deno.test("Future: a non-Error exception value is kept as it is", () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture();
    fut.setException("a string");
    assertStrictEquals(fut.exception(), "a string");
  } finally {
    loop.close();
  }
});

Deno.test("Future: cancel(msg) makes result() and exception() throw CancelledError(msg)", () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture();
    assertEquals(fut.cancel("reason"), true);
    assert(fut.done());
    assert(fut.cancelled());
    const e1 = assertThrowsGet(() => fut.result());
    assert(e1 instanceof CancelledError);
    assertEquals(e1.message, "reason");
    const e2 = assertThrowsGet(() => fut.exception());
    assert(e2 instanceof CancelledError);
    assertEquals(e2.message, "reason");
  } finally {
    loop.close();
  }
});

Deno.test("Future: cancel() without a message gives a CancelledError with an empty message", () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture();
    fut.cancel();
    const e = assertThrowsGet(() => fut.result());
    assert(e instanceof CancelledError);
    assertEquals(e.message, "");
  } finally {
    loop.close();
  }
});

Deno.test("Future: a done future refuses setResult/setException (InvalidStateError) and cancel (false)", () => {
  const loop = newEventLoop();
  try {
    const finished = loop.createFuture<number>();
    finished.setResult(1);
    assertThrows(() => finished.setResult(2), InvalidStateError);
    assertThrows(() => finished.setException(new Error("x")), InvalidStateError);
    assertEquals(finished.cancel(), false);
    assertEquals(finished.result(), 1);

    const failed = loop.createFuture<number>();
    failed.setException(new Error("first"));
    assertThrows(() => failed.setResult(2), InvalidStateError);
    assertThrows(() => failed.setException(new Error("second")), InvalidStateError);
    assertEquals(failed.cancel(), false);
    assertEquals((failed.exception() as Error).message, "first");

    const cancelled = loop.createFuture<number>();
    cancelled.cancel();
    assertThrows(() => cancelled.setResult(2), InvalidStateError);
    assertThrows(() => cancelled.setException(new Error("x")), InvalidStateError);
    assertEquals(cancelled.cancel(), false);
    assert(cancelled.cancelled());
  } finally {
    loop.close();
  }
});

// ---- done callbacks -----------------------------------------------------------

Deno.test("addDoneCallback: the callback runs through the loop, not synchronously, with the future", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<number>();
    const seen: Future<number>[] = [];
    fut.addDoneCallback((f) => seen.push(f));
    fut.setResult(1);
    assertEquals(seen.length, 0, "not called synchronously by setResult");
    await runIterations(loop);
    assertEquals(seen.length, 1);
    assertStrictEquals(seen[0], fut);
  } finally {
    loop.close();
  }
});

Deno.test("addDoneCallback: callbacks run in the order they were added, after earlier callSoon callbacks", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture();
    const order: string[] = [];
    fut.addDoneCallback(() => order.push("cb1"));
    fut.addDoneCallback(() => order.push("cb2"));
    loop.callSoon(() => order.push("soon"));
    fut.setResult(null);
    fut.addDoneCallback(() => order.push("cb3 (added after done)"));
    await runIterations(loop);
    assertEquals(order, ["soon", "cb1", "cb2", "cb3 (added after done)"]);
  } finally {
    loop.close();
  }
});

Deno.test("addDoneCallback: on a done future the callback is scheduled with callSoon", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<string>();
    fut.setResult("x");
    let called: Future<string> | null = null;
    fut.addDoneCallback((f) => called = f);
    assertStrictEquals(called, null, "not called synchronously");
    await runIterations(loop);
    assertStrictEquals(called, fut);
  } finally {
    loop.close();
  }
});

Deno.test("addDoneCallback: runs on exception and on cancel too", async () => {
  const loop = newEventLoop();
  try {
    const failed = loop.createFuture();
    const cancelled = loop.createFuture();
    const seen: string[] = [];
    failed.addDoneCallback((f) => seen.push(`failed: ${(f.exception() as Error).message}`));
    cancelled.addDoneCallback((f) => seen.push(`cancelled: ${f.cancelled()}`));
    failed.setException(new Error("oops"));
    cancelled.cancel();
    await runIterations(loop);
    assertEquals(seen, ["failed: oops", "cancelled: true"]);
  } finally {
    loop.close();
  }
});

Deno.test("addDoneCallback: a callback that throws goes to the exception handler, the others still run", async () => {
  const loop = newEventLoop();
  try {
    const contexts: ExceptionContext[] = [];
    loop.setExceptionHandler((_l, c) => contexts.push(c));
    const fut = loop.createFuture();
    let second = false;
    fut.addDoneCallback(() => {
      throw new Error("in done callback");
    });
    fut.addDoneCallback(() => second = true);
    fut.setResult(1);
    await runIterations(loop);
    assert(second);
    assertEquals(contexts.length, 1);
    assertEquals((contexts[0].exception as Error).message, "in done callback");
  } finally {
    loop.close();
  }
});

Deno.test("removeDoneCallback: removes every instance and returns the count", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture();
    const calls: string[] = [];
    const a = () => calls.push("a");
    const b = () => calls.push("b");
    fut.addDoneCallback(a);
    fut.addDoneCallback(b);
    fut.addDoneCallback(a);
    assertEquals(fut.removeDoneCallback(a), 2);
    assertEquals(fut.removeDoneCallback(a), 0);
    assertEquals(fut.removeDoneCallback(() => {}), 0);
    fut.setResult(null);
    await runIterations(loop);
    assertEquals(calls, ["b"]);
    assertEquals(fut.removeDoneCallback(b), 0, "nothing left once done");
  } finally {
    loop.close();
  }
});

Deno.test("removeDoneCallback: after setResult but before the callbacks ran, they are already scheduled", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture();
    const calls: string[] = [];
    const a = () => calls.push("a");
    fut.addDoneCallback(a);
    fut.setResult(null);
    // As in asyncio, the callbacks were handed to the loop by setResult.
    assertEquals(fut.removeDoneCallback(a), 0);
    await runIterations(loop);
    assertEquals(calls, ["a"]);
  } finally {
    loop.close();
  }
});

// ---- awaiting -----------------------------------------------------------------

Deno.test("await: a future can be awaited outside a task", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<number>();
    loop.callSoon(() => fut.setResult(5));
    const waiter = (async () => (await fut) * 2)();
    assertEquals(await loop.runUntilComplete(waiter), 10);
  } finally {
    loop.close();
  }
});

Deno.test("await: outside a task, a failed future rejects, a cancelled one rejects with CancelledError", async () => {
  const loop = newEventLoop();
  try {
    const failed = loop.createFuture();
    const cancelled = loop.createFuture();
    const error = new Error("failed");
    loop.callSoon(() => failed.setException(error));
    loop.callSoon(() => cancelled.cancel("msg"));
    const outcome = (async () => {
      const got: unknown[] = [];
      try {
        await failed;
      } catch (e) {
        got.push(e);
      }
      try {
        await cancelled;
      } catch (e) {
        got.push(e);
      }
      return got;
    })();
    const got = await loop.runUntilComplete(outcome);
    assertStrictEquals(got[0], error);
    assert(got[1] instanceof CancelledError);
    assertEquals((got[1] as CancelledError).message, "msg");
  } finally {
    loop.close();
  }
});

Deno.test("await: an already done future gives its result through the loop", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<string>();
    fut.setResult("done");
    const result = await loop.runUntilComplete(async () => await fut);
    assertEquals(result, "done");
  } finally {
    loop.close();
  }
});

Deno.test("then(): chains, returns a Promise and maps rejections", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<number>();
    const chained = fut.then((v) => v * 2).then((v) => v + 1);
    assert(chained instanceof Promise);
    const failed = loop.createFuture<number>();
    const recovered = failed.then(
      () => "not this",
      (e: Error) => `recovered from ${e.message}`,
    );
    const throwing = fut.then(() => {
      throw new TypeError("from onfulfilled");
    });
    const passThrough = failed.then((v) => v);
    loop.callSoon(() => {
      fut.setResult(5);
      failed.setException(new Error("boom"));
    });
    const all = Promise.allSettled([chained, recovered, throwing, passThrough]);
    const [a, b, c, d] = await loop.runUntilComplete(all);
    assertEquals(a, { status: "fulfilled", value: 11 });
    assertEquals(b, { status: "fulfilled", value: "recovered from boom" });
    assertEquals(c.status, "rejected");
    assert((c as PromiseRejectedResult).reason instanceof TypeError);
    assertEquals(d.status, "rejected");
    assertEquals(((d as PromiseRejectedResult).reason as Error).message, "boom");
  } finally {
    loop.close();
  }
});

Deno.test("then(): onfulfilled runs only when the loop runs the done callback", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<number>();
    let value: number | null = null;
    fut.then((v) => value = v);
    fut.setResult(3);
    await Promise.resolve();
    await Promise.resolve();
    assertStrictEquals(value, null, "the loop has not run yet");
    await runIterations(loop, 2);
    assertStrictEquals(value, 3);
  } finally {
    loop.close();
  }
});

Deno.test("catch() and finally() work as on a Promise", async () => {
  const loop = newEventLoop();
  try {
    const failed = loop.createFuture<number>();
    const ok = loop.createFuture<number>();
    const steps: string[] = [];
    const caught = failed.catch((e: Error) => `caught ${e.message}`);
    const fin = ok.finally(() => steps.push("finally ok"));
    const finFailed = failed.finally(() => steps.push("finally failed"));
    loop.callSoon(() => {
      ok.setResult(1);
      failed.setException(new Error("e"));
    });
    const [a, b, c] = await loop.runUntilComplete(
      Promise.allSettled([caught, fin, finFailed]),
    );
    assertEquals(a, { status: "fulfilled", value: "caught e" });
    assertEquals(b, { status: "fulfilled", value: 1 });
    assertEquals(c.status, "rejected");
    assertEquals(steps.sort(), ["finally failed", "finally ok"]);
    assertEquals(Object.prototype.toString.call(ok), "[object Future]");
  } finally {
    loop.close();
  }
});

Deno.test("Promise.resolve(future) adopts the future's outcome", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<string>();
    loop.callSoon(() => fut.setResult("adopted"));
    assertEquals(await loop.runUntilComplete(Promise.resolve(fut)), "adopted");
  } finally {
    loop.close();
  }
});

Deno.test("toString shows the state", () => {
  const loop = newEventLoop();
  try {
    const pending = loop.createFuture();
    assertEquals(pending.toString(), "<Future pending>");
    const done = loop.createFuture<number>();
    done.setResult(1);
    assert(done.toString().includes("finished"), done.toString());
    assert(done.toString().includes("result=1"), done.toString());
    const failed = loop.createFuture();
    failed.setException(new TypeError("t"));
    failed.exception();
    assert(failed.toString().includes("exception=TypeError: t"), failed.toString());
    const cancelled = loop.createFuture();
    cancelled.cancel();
    assertEquals(cancelled.toString(), "<Future cancelled>");
  } finally {
    loop.close();
  }
});

// ---- the exception never retrieved ------------------------------------------

function dropFailedFuture(loop: EventLoop, message: string): void {
  const fut = loop.createFuture();
  fut.setException(new Error(message));
}

function dropRetrievedFuture(loop: EventLoop, message: string): void {
  const fut = loop.createFuture();
  fut.setException(new Error(message));
  fut.exception();
}

function dropResultRetrievedFuture(loop: EventLoop, message: string): void {
  const fut = loop.createFuture();
  fut.setException(new Error(message));
  try {
    fut.result();
  } catch { /* retrieved */ }
}

Deno.test("a future whose exception was never retrieved is reported to the exception handler after GC", async () => {
  const loop = newEventLoop();
  const contexts: ExceptionContext[] = [];
  loop.setExceptionHandler((_l, c) => contexts.push(c));
  try {
    dropRetrievedFuture(loop, "retrieved with exception()");
    dropResultRetrievedFuture(loop, "retrieved with result()");
    dropFailedFuture(loop, "lost");
    await collectUntil(() => contexts.length > 0);
    // A few more rounds, so that a wrong report of the others would show.
    await collectUntil(() => false, 5);
    assertEquals(contexts.length, 1, contexts.map((c) => c.message).join("\n"));
    assert(contexts[0].message.includes("exception was never retrieved"), contexts[0].message);
    assertEquals((contexts[0].exception as Error).message, "lost");
  } finally {
    loop.close();
  }
});

Deno.test("a future whose exception was awaited is not reported after GC", async () => {
  const loop = newEventLoop();
  const contexts: ExceptionContext[] = [];
  loop.setExceptionHandler((_l, c) => contexts.push(c));
  try {
    await loop.runUntilComplete(async () => {
      const fut = loop.createFuture();
      loop.callSoon(() => fut.setException(new Error("awaited")));
      try {
        await fut;
      } catch { /* retrieved by the await */ }
    });
    dropFailedFuture(loop, "control");
    await collectUntil(() => contexts.length > 0);
    await collectUntil(() => false, 5);
    assertEquals(contexts.map((c) => (c.exception as Error).message), ["control"]);
  } finally {
    loop.close();
  }
});

Deno.test("a future with a CancelledError exception is not reported after GC", async () => {
  const loop = newEventLoop();
  const contexts: ExceptionContext[] = [];
  loop.setExceptionHandler((_l, c) => contexts.push(c));
  try {
    (() => {
      const fut = loop.createFuture();
      fut.setException(new CancelledError("quiet"));
      const cancelled = loop.createFuture();
      cancelled.cancel();
    })();
    dropFailedFuture(loop, "control");
    await collectUntil(() => contexts.length > 0);
    await collectUntil(() => false, 5);
    assertEquals(contexts.map((c) => (c.exception as Error).message), ["control"]);
  } finally {
    loop.close();
  }
});

function assertThrowsGet(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}
