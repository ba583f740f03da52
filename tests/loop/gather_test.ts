// deno-lint-ignore-file require-await -- an async coroutine without await is legitimate, as an
// `async def` without await is in Python.
// gather: result order, returnExceptions, failure and cancellation in both
// directions, duplicates and the empty gather.
import { assert, assertEquals, assertStrictEquals, assertThrows } from "../deps.ts";
import {
  CancelledError,
  createTask,
  currentTask,
  type EventLoop,
  type ExceptionContext,
  Future,
  gather,
  newEventLoop,
  sleep,
  Task,
} from "../../mod.ts";

async function runOn<T>(main: (loop: EventLoop) => Promise<T>): Promise<T> {
  const loop = newEventLoop();
  try {
    return await loop.runUntilComplete(() => main(loop));
  } finally {
    loop.close();
  }
}

const gc = (globalThis as unknown as { gc?: () => void }).gc;

async function collectUntil(done: () => boolean, rounds = 40): Promise<void> {
  assert(gc !== undefined, "run the tests with --v8-flags=--expose-gc");
  for (let i = 0; i < rounds && !done(); i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

async function rejection(p: PromiseLike<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

Deno.test("gather: results come in argument order, whatever the completion order", async () => {
  await runOn(async (loop) => {
    const a = loop.createFuture<string>();
    const b = loop.createFuture<string>();
    const c = loop.createFuture<string>();
    const g = gather(a, b, c);
    assert(g instanceof Future);
    loop.callSoon(() => c.setResult("c"));
    loop.callSoon(() => loop.callSoon(() => a.setResult("a")));
    loop.callSoon(() => b.setResult("b"));
    assertEquals(await g, ["a", "b", "c"]);
  });
});

Deno.test("gather: takes coroutine functions, futures, tasks and promises together", async () => {
  await runOn(async (loop) => {
    const fut = loop.createFuture<number>();
    loop.callSoon(() => fut.setResult(2));
    const task = createTask(async () => {
      await sleep(0);
      return 3;
    });
    const results = await gather(
      async () => {
        await sleep(0);
        await sleep(0);
        return 1;
      },
      fut,
      task,
      Promise.resolve(4),
      sleep(0, 5),
    );
    assertEquals(results, [1, 2, 3, 4, 5]);
  });
});

Deno.test("gather: coroutine functions run concurrently as tasks", async () => {
  await runOn(async (loop) => {
    const log: string[] = [];
    const gate = loop.createFuture();
    const worker = (name: string) => async () => {
      log.push(`${name} start`);
      await gate;
      log.push(`${name} end`);
      return name;
    };
    const g = gather(worker("x"), worker("y"));
    await sleep(0);
    assertEquals(log, ["x start", "y start"]);
    gate.setResult(null);
    assertEquals(await g, ["x", "y"]);
  });
});

Deno.test("gather: with no arguments, gives [] at once", async () => {
  await runOn(async () => {
    const g = gather();
    assert(g.done());
    assertEquals(g.result(), []);
    assertEquals(await g, []);
    const g2 = gather({ returnExceptions: true });
    assertEquals(await g2, []);
  });
});

Deno.test("gather: children already done give their results", async () => {
  await runOn(async (loop) => {
    const a = loop.createFuture<number>();
    a.setResult(1);
    const b = loop.createFuture<number>();
    b.setResult(2);
    assertEquals(await gather(a, b), [1, 2]);
  });
});

Deno.test("gather: the first exception rejects the gather; the other children keep running", async () => {
  await runOn(async (loop) => {
    const slowDone = loop.createFuture<string>();
    const error = new RangeError("first failure");
    const failing = createTask(async () => {
      await sleep(0);
      throw error;
    });
    const slow = createTask(async () => {
      await slowDone;
      return "slow finished";
    });
    const g = gather(failing, slow);
    assertStrictEquals(await rejection(g), error);
    assertEquals(slow.done(), false, "not cancelled");
    slowDone.setResult("go");
    assertEquals(await slow, "slow finished");
  });
});

Deno.test("gather: a second exception after the first does not change the outcome", async () => {
  await runOn(async (loop) => {
    const a = loop.createFuture();
    const b = loop.createFuture();
    const g = gather(a, b);
    const first = new Error("first");
    a.setException(first);
    b.setException(new Error("second"));
    assertStrictEquals(await rejection(g), first);
  });
});

Deno.test("gather: returnExceptions gives exceptions as results", async () => {
  await runOn(async () => {
    const error = new TypeError("as a result");
    const results = await gather(
      async () => 1,
      async () => {
        throw error;
      },
      Promise.reject("a reason"),
      { returnExceptions: true },
    );
    assertEquals(results.length, 3);
    assertEquals(results[0], 1);
    assertStrictEquals(results[1], error);
    assertStrictEquals(results[2], "a reason");
  });
});

Deno.test("gather: returnExceptions waits for every child, even after a failure", async () => {
  await runOn(async (loop) => {
    const late = loop.createFuture<string>();
    const failed = loop.createFuture<string>();
    const g = gather(failed, late, { returnExceptions: true });
    failed.setException(new Error("early"));
    await sleep(0);
    await sleep(0);
    assertEquals(g.done(), false);
    late.setResult("late");
    const [a, b] = await g;
    assertEquals((a as unknown as Error).message, "early");
    assertEquals(b, "late");
  });
});

Deno.test("gather: returnExceptions with a cancelled child gives a CancelledError as its result", async () => {
  await runOn(async (loop) => {
    const a = loop.createFuture<number>();
    const b = loop.createFuture<number>();
    const g = gather(a, b, { returnExceptions: true });
    b.cancel("child msg");
    a.setResult(1);
    const results = await g;
    assertEquals(results[0], 1);
    assert(results[1] instanceof CancelledError);
    assertEquals((results[1] as unknown as CancelledError).message, "child msg");
    assertEquals(g.cancelled(), false);
  });
});

Deno.test("gather: cancelling a child makes the gather fail with CancelledError", async () => {
  await runOn(async (loop) => {
    const a = loop.createFuture<number>();
    const b = loop.createFuture<number>();
    const g = gather(a, b);
    b.cancel("child cancelled");
    const error = await rejection(g);
    assert(error instanceof CancelledError);
    assertEquals(error.message, "child cancelled");
    assertEquals(a.done(), false, "the other child is left alone");
  });
});

Deno.test("gather: cancelling the gather cancels every child not done", async () => {
  await runOn(async (loop) => {
    const done = loop.createFuture<number>();
    done.setResult(0);
    const pending = loop.createFuture<number>();
    const task = createTask(() => sleep(3600));
    await sleep(0);
    const g = gather(done, pending, task);
    assertEquals(g.cancel("stop all"), true);
    assert(pending.cancelled());
    const error = await rejection(g);
    assert(error instanceof CancelledError);
    assertEquals(error.message, "stop all");
    assert(task.cancelled());
    assertEquals(done.cancelled(), false);
  });
});

Deno.test("gather: cancelling the gather propagates CancelledError even with returnExceptions", async () => {
  await runOn(async () => {
    const a = createTask(() => sleep(3600));
    const b = createTask(() => sleep(3600));
    const g = gather(a, b, { returnExceptions: true });
    await sleep(0);
    g.cancel();
    assert((await rejection(g)) instanceof CancelledError);
    assert(a.cancelled());
    assert(b.cancelled());
  });
});

Deno.test("gather: cancel() of a gather whose children are all done returns false", async () => {
  await runOn(async (loop) => {
    const a = loop.createFuture<number>();
    a.setResult(1);
    const g = gather(a);
    await g;
    assertEquals(g.cancel(), false);
    assertEquals(g.result(), [1]);
  });
});

Deno.test("gather: a child that suppresses the cancellation still makes the gather cancelled", async () => {
  // CPython bpo-32684: the gather was asked to cancel, so it propagates.
  await runOn(async (loop) => {
    const stubborn = createTask(async () => {
      try {
        await loop.createFuture();
      } catch {
        return "ignored the cancel";
      }
    });
    await sleep(0);
    const g = gather(stubborn);
    g.cancel();
    assert((await rejection(g)) instanceof CancelledError);
    assertEquals(stubborn.result(), "ignored the cancel");
  });
});

Deno.test("gather: cancelling the task that awaits a gather cancels the children", async () => {
  await runOn(async () => {
    const a = createTask(() => sleep(3600));
    const b = createTask(() => sleep(3600));
    const waiter = createTask(() => gather(a, b));
    await sleep(0);
    await sleep(0);
    waiter.cancel();
    assert((await rejection(waiter)) instanceof CancelledError);
    assert(waiter.cancelled());
    assert(a.cancelled());
    assert(b.cancelled());
  });
});

Deno.test("gather: the same future twice gives its result twice", async () => {
  await runOn(async (loop) => {
    const fut = loop.createFuture<string>();
    const task = createTask(async () => "t");
    const g = gather(fut, task, fut, task);
    fut.setResult("f");
    assertEquals(await g, ["f", "t", "f", "t"]);
  });
});

Deno.test("gather: the same coroutine function twice runs it twice", async () => {
  await runOn(async () => {
    let calls = 0;
    const work = async () => {
      await sleep(0);
      return ++calls;
    };
    const results = await gather(work, work);
    assertEquals(calls, 2);
    assertEquals(results.slice().sort(), [1, 2]);
  });
});

Deno.test("gather: the same promise twice gives its result twice", async () => {
  await runOn(async () => {
    const p = Promise.resolve("p");
    assertEquals(await gather(p, p), ["p", "p"]);
  });
});

Deno.test("gather: the same failing future twice rejects once with its exception", async () => {
  await runOn(async (loop) => {
    const fut = loop.createFuture();
    const error = new Error("dup");
    const g = gather(fut, fut, { returnExceptions: true });
    fut.setException(error);
    assertEquals(await g, [error, error]);
  });
});

Deno.test("gather: the result is a Future that can be awaited outside a task", async () => {
  const loop = newEventLoop();
  try {
    const a = loop.createFuture<number>();
    const b = loop.createFuture<number>();
    const g = gather(a, b);
    assertStrictEquals(g.getLoop(), loop);
    loop.callSoon(() => {
      a.setResult(1);
      b.setResult(2);
    });
    assertEquals(await loop.runUntilComplete(g), [1, 2]);
  } finally {
    loop.close();
  }
});

Deno.test("gather: bad input throws TypeError", async () => {
  await runOn(async () => {
    assertThrows(() => gather(42 as unknown as Promise<number>), TypeError);
  });
});

Deno.test("gather: futures of different loops throw RangeError (asyncio's ValueError)", async () => {
  const other = newEventLoop();
  try {
    await runOn(async (loop) => {
      const mine = loop.createFuture();
      const theirs = other.createFuture();
      assertThrows(() => gather(mine, theirs), RangeError);
      mine.cancel();
    });
  } finally {
    other.close();
  }
});

Deno.test("gather: the children of a gather are Tasks for coroutine functions", async () => {
  await runOn(async () => {
    let self: unknown = null;
    await gather(async () => {
      await sleep(0);
      self = currentTask();
    });
    assert(self instanceof Task);
  });
});

Deno.test("gather: the exceptions of children after the first failure count as retrieved (no report after GC)", async () => {
  const loop = newEventLoop();
  const contexts: ExceptionContext[] = [];
  loop.setExceptionHandler((_l, c) => contexts.push(c));
  try {
    // Every coroutine awaits before it throws: an error made in a task's
    // first step is never collected (see tasks_test.ts).
    await loop.runUntilComplete(async () => {
      const g = gather(
        async () => {
          await sleep(0);
          throw new Error("first");
        },
        async () => {
          await sleep(0);
          await sleep(0);
          throw new Error("second, after the gather failed");
        },
      );
      await rejection(g);
      await sleep(0);
      await sleep(0);
      // With returnExceptions every exception is retrieved by the gather.
      await gather(async () => {
        await sleep(0);
        throw new Error("returned");
      }, { returnExceptions: true });
      // A control: this one nobody retrieves.
      createTask(async () => {
        await sleep(0);
        throw new Error("control");
      });
      await sleep(0);
      await sleep(0);
    });
  } finally {
    loop.close();
  }
  await collectUntil(() => contexts.length > 0);
  await collectUntil(() => false, 5);
  assertEquals(contexts.map((c) => (c.exception as Error).message), ["control"]);
});
