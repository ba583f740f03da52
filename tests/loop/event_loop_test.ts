// deno-lint-ignore-file require-await -- an async coroutine without await is legitimate, as an
// `async def` without await is in Python.
// The loop's lifecycle: runForever/stop, runUntilComplete, closing, the
// running-loop rules, the task factory hooks and debug mode.
import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "../deps.ts";
import {
  CancelledError,
  type EventLoop,
  getRunningLoop,
  KeyboardInterrupt,
  logger,
  newEventLoop,
  RuntimeError,
  sleep,
  Task,
  type TaskFactory,
} from "../../mod.ts";

function captureLog(method: "error" | "warning"): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const saved = logger[method];
  logger[method] = (message: string) => {
    lines.push(message);
  };
  return { lines, restore: () => void (logger[method] = saved) };
}

Deno.test("runForever: settles when stop() is called from a callback", async () => {
  const loop = newEventLoop();
  try {
    const ran: string[] = [];
    loop.callSoon(() => ran.push("a"));
    loop.callSoon(() => loop.stop());
    const result = await loop.runForever();
    assertStrictEquals(result, undefined);
    assertEquals(ran, ["a"]);
    assertEquals(loop.isRunning(), false);
  } finally {
    loop.close();
  }
});

Deno.test("runForever: stop() lets the rest of the current iteration run, not the next one", async () => {
  const loop = newEventLoop();
  try {
    const ran: string[] = [];
    loop.callSoon(() => {
      ran.push("stopper");
      loop.stop();
      loop.callSoon(() => ran.push("next iteration"));
    });
    loop.callSoon(() => ran.push("same iteration"));
    await loop.runForever();
    assertEquals(ran, ["stopper", "same iteration"]);
    // The callback scheduled for the next iteration runs on the next run.
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    assertEquals(ran, ["stopper", "same iteration", "next iteration"]);
  } finally {
    loop.close();
  }
});

Deno.test("runForever: stop() before runForever() runs exactly one iteration", async () => {
  const loop = newEventLoop();
  try {
    const ran: string[] = [];
    loop.callSoon(() => {
      ran.push("first");
      loop.callSoon(() => ran.push("second"));
    });
    loop.stop();
    await loop.runForever();
    assertEquals(ran, ["first"]);
    loop.stop();
    await loop.runForever();
    assertEquals(ran, ["first", "second"]);
  } finally {
    loop.close();
  }
});

Deno.test("runForever: stop() from a task ends the run", async () => {
  const loop = newEventLoop();
  try {
    let stepped = 0;
    loop.createTask(async () => {
      stepped++;
      await sleep(0);
      stepped++;
      loop.stop();
    });
    await loop.runForever();
    assertEquals(stepped, 2);
  } finally {
    loop.close();
  }
});

Deno.test("runForever: stop() from a short timer ends an idle loop", async () => {
  const loop = newEventLoop();
  try {
    const start = loop.time();
    loop.callLater(0.01, () => loop.stop());
    await loop.runForever();
    assert(loop.time() - start >= 0.009, "the timer fired after its delay");
  } finally {
    loop.close();
  }
});

Deno.test("runForever: stop() called outside the loop while it is idle ends the run", async () => {
  const loop = newEventLoop();
  try {
    const running = loop.runForever();
    // Let the loop run its (empty) first iteration and go idle.
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert(loop.isRunning());
    loop.stop();
    await running;
    assertEquals(loop.isRunning(), false);
  } finally {
    loop.close();
  }
});

Deno.test("runForever: the loop wakes for a callSoon made from outside while idle", async () => {
  const loop = newEventLoop();
  try {
    const running = loop.runForever();
    await new Promise((resolve) => setTimeout(resolve, 0));
    let ran = false;
    loop.callSoon(() => {
      ran = true;
      loop.stop();
    });
    await running;
    assert(ran);
  } finally {
    loop.close();
  }
});

Deno.test("runForever: a loop can be run again after it stopped", async () => {
  const loop = newEventLoop();
  try {
    for (let i = 0; i < 3; i++) {
      loop.callSoon(() => loop.stop());
      await loop.runForever();
    }
    assertEquals(await loop.runUntilComplete(async () => "again"), "again");
  } finally {
    loop.close();
  }
});

Deno.test("runForever: a KeyboardInterrupt thrown by a callback rejects runForever with it", async () => {
  const loop = newEventLoop();
  try {
    const ki = new KeyboardInterrupt();
    let handlerCalled = false;
    loop.setExceptionHandler(() => handlerCalled = true);
    loop.callSoon(() => {
      throw ki;
    });
    const error = await loop.runForever().then(() => null, (e) => e);
    assertStrictEquals(error, ki);
    assertEquals(handlerCalled, false);
    assertEquals(loop.isRunning(), false);
  } finally {
    loop.close();
  }
});

Deno.test("runForever: a callLater made from outside while idle wakes the loop", async () => {
  const loop = newEventLoop();
  try {
    const running = loop.runForever();
    await new Promise((resolve) => setTimeout(resolve, 0));
    loop.callLater(0.002, () => loop.stop());
    await running;
  } finally {
    loop.close();
  }
});

// ---- runUntilComplete -------------------------------------------------------

Deno.test("runUntilComplete: returns the future's result", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<number>();
    loop.callSoon(() => fut.setResult(42));
    assertEquals(await loop.runUntilComplete(fut), 42);
    assertEquals(loop.isRunning(), false);
  } finally {
    loop.close();
  }
});

Deno.test("runUntilComplete: throws the future's exception", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<number>();
    const error = new TypeError("bad");
    loop.callSoon(() => fut.setException(error));
    const got = await loop.runUntilComplete(fut).then(() => null, (e) => e);
    assertStrictEquals(got, error);
  } finally {
    loop.close();
  }
});

Deno.test("runUntilComplete: a cancelled future throws CancelledError", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture();
    loop.callSoon(() => fut.cancel("no more"));
    const got = await loop.runUntilComplete(fut).then(() => null, (e) => e);
    assert(got instanceof CancelledError);
    assertEquals(got.message, "no more");
  } finally {
    loop.close();
  }
});

Deno.test("runUntilComplete: takes a coroutine function and runs it as a task", async () => {
  const loop = newEventLoop();
  try {
    const result = await loop.runUntilComplete(async () => {
      assertStrictEquals(getRunningLoop(), loop);
      await sleep(0);
      return "coro result";
    });
    assertEquals(result, "coro result");
    await assertRejects(
      () =>
        loop.runUntilComplete(async () => {
          await sleep(0);
          throw new RangeError("coro failed");
        }),
      RangeError,
    );
  } finally {
    loop.close();
  }
});

Deno.test("runUntilComplete: takes a plain Promise", async () => {
  const loop = newEventLoop();
  try {
    assertEquals(await loop.runUntilComplete(Promise.resolve("promised")), "promised");
    await assertRejects(
      () => loop.runUntilComplete(Promise.reject(new Error("rejected"))),
      Error,
      "rejected",
    );
  } finally {
    loop.close();
  }
});

Deno.test("runUntilComplete: an already done future returns its result", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<string>();
    fut.setResult("ready");
    assertEquals(await loop.runUntilComplete(fut), "ready");
  } finally {
    loop.close();
  }
});

Deno.test("runUntilComplete: the loop stopped before the future completed throws RuntimeError", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture();
    loop.callSoon(() => loop.stop());
    await assertRejects(() => loop.runUntilComplete(fut), RuntimeError);
    assertEquals(fut.done(), false);
    fut.cancel();
  } finally {
    loop.close();
  }
});

Deno.test("runUntilComplete: a future of another loop throws RangeError", async () => {
  const loop = newEventLoop();
  const other = newEventLoop();
  try {
    const fut = other.createFuture();
    await assertRejects(() => loop.runUntilComplete(fut), RangeError);
  } finally {
    loop.close();
    other.close();
  }
});

Deno.test("runUntilComplete: bad input throws TypeError", async () => {
  const loop = newEventLoop();
  try {
    await assertRejects(() => loop.runUntilComplete(42 as unknown as Promise<number>), TypeError);
  } finally {
    loop.close();
  }
});

Deno.test("runUntilComplete: a KeyboardInterrupt thrown in a task rejects with KeyboardInterrupt", async () => {
  const loop = newEventLoop();
  try {
    const never = loop.createFuture();
    let inner: Task<void> | null = null;
    const main = loop.createTask(async () => {
      inner = loop.createTask(() => {
        throw new KeyboardInterrupt();
      });
      await never;
    });
    await assertRejects(() => loop.runUntilComplete(main), KeyboardInterrupt);
    assertEquals(main.done(), false);
    assert(inner!.exception() instanceof KeyboardInterrupt);
    // Clean up: cancel the main task and let it finish.
    main.cancel();
    await assertRejects(() => loop.runUntilComplete(main), CancelledError);
  } finally {
    loop.close();
  }
});

Deno.test("runUntilComplete: a main coroutine that throws KeyboardInterrupt rejects with it", async () => {
  const loop = newEventLoop();
  try {
    await assertRejects(
      () =>
        loop.runUntilComplete(async () => {
          await sleep(0);
          throw new KeyboardInterrupt();
        }),
      KeyboardInterrupt,
    );
  } finally {
    loop.close();
  }
});

Deno.test("runUntilComplete: stop() called before it runs one iteration, then RuntimeError", async () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture();
    let ran = false;
    loop.callSoon(() => ran = true);
    loop.stop();
    await assertRejects(() => loop.runUntilComplete(fut), RuntimeError);
    assert(ran);
    fut.cancel();
  } finally {
    loop.close();
  }
});

// ---- the running-loop rules -------------------------------------------------

Deno.test("a loop that is running cannot be run again: RuntimeError", async () => {
  const loop = newEventLoop();
  try {
    const running = loop.runForever();
    assertThrows(() => loop.runForever(), RuntimeError);
    await assertRejects(() => loop.runUntilComplete(Promise.resolve(1)), RuntimeError);
    loop.stop();
    await running;
  } finally {
    loop.close();
  }
});

Deno.test("a second loop cannot run while one runs: RuntimeError", async () => {
  const loop = newEventLoop();
  const other = newEventLoop();
  try {
    let inner: unknown = null;
    let innerAsync: unknown = null;
    await loop.runUntilComplete(async () => {
      try {
        other.runForever();
      } catch (e) {
        inner = e;
      }
      try {
        await other.runUntilComplete(Promise.resolve(1));
      } catch (e) {
        innerAsync = e;
      }
    });
    assert(inner instanceof RuntimeError, String(inner));
    assert(innerAsync instanceof RuntimeError, String(innerAsync));
    assertEquals(other.isRunning(), false);
    // Once the first loop stopped, the other one may run.
    assertEquals(await other.runUntilComplete(Promise.resolve(2)), 2);
  } finally {
    loop.close();
    other.close();
  }
});

Deno.test("close() on a running loop throws RuntimeError", async () => {
  const loop = newEventLoop();
  try {
    let error: unknown = null;
    loop.callSoon(() => {
      try {
        loop.close();
      } catch (e) {
        error = e;
      }
      loop.stop();
    });
    await loop.runForever();
    assert(error instanceof RuntimeError);
    assertEquals(loop.isClosed(), false);
  } finally {
    loop.close();
  }
});

Deno.test("isRunning and isClosed follow the lifecycle", async () => {
  const loop = newEventLoop();
  assertEquals(loop.isRunning(), false);
  assertEquals(loop.isClosed(), false);
  let inside: boolean | null = null;
  loop.callSoon(() => {
    inside = loop.isRunning();
    loop.stop();
  });
  await loop.runForever();
  assertEquals(inside, true);
  assertEquals(loop.isRunning(), false);
  loop.close();
  assertEquals(loop.isClosed(), true);
  loop.close(); // closing twice is a no-op
  assertEquals(loop.isClosed(), true);
});

Deno.test("a closed loop refuses to run or make tasks: RuntimeError", async () => {
  const loop = newEventLoop();
  loop.close();
  assertThrows(() => loop.runForever(), RuntimeError);
  await assertRejects(() => loop.runUntilComplete(async () => {}), RuntimeError);
  assertThrows(() => loop.createTask(async () => {}), RuntimeError);
});

Deno.test("close() drops pending callbacks and timers", () => {
  const loop = newEventLoop();
  loop.callSoon(() => {
    throw new Error("must not run");
  });
  loop.callLater(100, () => {
    throw new Error("must not run");
  });
  loop.close();
  assert(loop.isClosed());
});

Deno.test("getRunningLoop: the loop inside a callback and a task, RuntimeError outside", async () => {
  assertThrows(() => getRunningLoop(), RuntimeError);
  const loop = newEventLoop();
  try {
    let inCallback: EventLoop | null = null;
    loop.callSoon(() => inCallback = getRunningLoop());
    const inTask = await loop.runUntilComplete(async () => {
      await sleep(0);
      return getRunningLoop();
    });
    assertStrictEquals(inCallback, loop);
    assertStrictEquals(inTask, loop);
  } finally {
    loop.close();
  }
  assertThrows(() => getRunningLoop(), RuntimeError);
});

Deno.test("time() is monotonic seconds", () => {
  const loop = newEventLoop();
  try {
    const a = loop.time();
    const b = loop.time();
    assertEquals(typeof a, "number");
    assert(b >= a);
    // Seconds, not milliseconds: close to performance.now() / 1000.
    assert(Math.abs(a - performance.now() / 1000) < 1);
  } finally {
    loop.close();
  }
});

Deno.test("createFuture makes a pending future bound to the loop", () => {
  const loop = newEventLoop();
  try {
    const fut = loop.createFuture<number>();
    assertStrictEquals(fut.getLoop(), loop);
    assertEquals(fut.done(), false);
  } finally {
    loop.close();
  }
});

Deno.test("toString describes the loop state", () => {
  const loop = newEventLoop();
  try {
    const text = loop.toString();
    assert(text.includes("running=false"), text);
    assert(text.includes("closed=false"), text);
    assert(text.includes("debug=false"), text);
  } finally {
    loop.close();
  }
});

// ---- executors (what the core has of them) ---------------------------------

Deno.test("setDefaultExecutor: close() shuts the executor down without waiting", () => {
  const loop = newEventLoop();
  const calls: unknown[] = [];
  loop.setDefaultExecutor({ shutdown: (wait?: boolean) => calls.push(wait) });
  assertThrows(
    () => loop.setDefaultExecutor({} as unknown as { shutdown(): void }),
    TypeError,
  );
  loop.close();
  assertEquals(calls, [false]);
});

Deno.test("shutdownDefaultExecutor waits for the executor's shutdown(true)", async () => {
  const loop = newEventLoop();
  try {
    const calls: unknown[] = [];
    loop.setDefaultExecutor({
      shutdown: async (wait?: boolean) => {
        await Promise.resolve();
        calls.push(wait);
      },
    });
    await loop.runUntilComplete(loop.shutdownDefaultExecutor());
    assertEquals(calls, [true]);
    await loop.runUntilComplete(loop.shutdownAsyncgens());
  } finally {
    loop.close();
  }
});

// ---- the task factory ---------------------------------------------------------

Deno.test("setTaskFactory / getTaskFactory: createTask goes through the factory", async () => {
  const loop = newEventLoop();
  try {
    assertStrictEquals(loop.getTaskFactory(), null);
    const made: string[] = [];
    const factory: TaskFactory = (l, coro, options) => {
      made.push(options.name ?? "(unnamed)");
      return new Task(coro, { loop: l });
    };
    loop.setTaskFactory(factory);
    assertStrictEquals(loop.getTaskFactory(), factory);
    const result = await loop.runUntilComplete(async () => {
      const t = loop.createTask(async () => 5, { name: "named" });
      assertEquals(t.getName(), "named");
      return await t;
    });
    assertEquals(result, 5);
    assertEquals(made, ["(unnamed)", "named"]);
    loop.setTaskFactory(null);
    assertStrictEquals(loop.getTaskFactory(), null);
    assertThrows(() => loop.setTaskFactory(1 as unknown as null), TypeError);
  } finally {
    loop.close();
  }
});

// ---- debug mode ---------------------------------------------------------------

Deno.test("setDebug/getDebug and slowCallbackDuration default", () => {
  const loop = newEventLoop();
  try {
    assertEquals(loop.getDebug(), false);
    assertEquals(loop.slowCallbackDuration, 0.1);
    loop.setDebug(true);
    assertEquals(loop.getDebug(), true);
    loop.setDebug(false);
    assertEquals(loop.getDebug(), false);
  } finally {
    loop.close();
  }
});

Deno.test("debug mode: a slow callback is reported with logger.warning 'Executing ... took'", async () => {
  const loop = newEventLoop();
  const log = captureLog("warning");
  try {
    loop.setDebug(true);
    loop.slowCallbackDuration = 0.02;
    loop.callSoon(function slowCallback() {
      const end = performance.now() + 30;
      while (performance.now() < end) { /* busy */ }
    });
    loop.callSoon(function fastCallback() {});
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    const slow = log.lines.filter((line) => line.startsWith("Executing"));
    assertEquals(slow.length, 1, log.lines.join("\n"));
    assert(slow[0].includes("slowCallback"), slow[0]);
    assert(/took \d+\.\d+ seconds/.test(slow[0]), slow[0]);
  } finally {
    log.restore();
    loop.close();
  }
});

Deno.test("debug mode: tasks and timers still run normally", async () => {
  const loop = newEventLoop();
  try {
    loop.setDebug(true);
    const result = await loop.runUntilComplete(async () => {
      await sleep(0);
      const inner = loop.createTask(async () => {
        await sleep(0.001);
        return 2;
      });
      return 1 + await inner;
    });
    assertEquals(result, 3);
  } finally {
    loop.close();
  }
});

Deno.test("debug mode: cancellation still works", async () => {
  const loop = newEventLoop();
  try {
    loop.setDebug(true);
    const cancelled = await loop.runUntilComplete(async () => {
      const task = loop.createTask(() => sleep(3600));
      await sleep(0);
      task.cancel();
      try {
        await task;
      } catch (e) {
        return e instanceof CancelledError && task.cancelled();
      }
      return false;
    });
    assertEquals(cancelled, true);
  } finally {
    loop.close();
  }
});
