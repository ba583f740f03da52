// deno-lint-ignore-file require-await -- an async coroutine without await is legitimate, as an
// `async def` without await is in Python.
// run and Runner: results, the running-loop rule, reuse, disposal, the
// cancellation of tasks left behind, and the options.
import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "../deps.ts";
import {
  CancelledError,
  createTask,
  currentTask,
  DefaultEventLoopPolicy,
  EventLoop,
  type ExceptionContext,
  getEventLoop,
  getEventLoopPolicy,
  getRunningLoop,
  KeyboardInterrupt,
  newEventLoop,
  run,
  Runner,
  RuntimeError,
  setEventLoop,
  setEventLoopPolicy,
  sleep,
  Task,
} from "../../mod.ts";

Deno.test("run: returns the coroutine's result", async () => {
  const result = await run(async () => {
    await sleep(0);
    return "main result";
  });
  assertEquals(result, "main result");
});

Deno.test("run: rethrows the coroutine's exception", async () => {
  await assertRejects(
    () =>
      run(async () => {
        await sleep(0);
        throw new RangeError("main failed");
      }),
    RangeError,
    "main failed",
  );
});

Deno.test("run: takes an awaitable too", async () => {
  assertEquals(await run(Promise.resolve(11)), 11);
});

Deno.test("run: bad input throws TypeError", async () => {
  await assertRejects(() => run(5 as unknown as () => Promise<number>), TypeError);
});

Deno.test("run: the coroutine runs in a task on a new loop that is closed afterwards", async () => {
  const loop = await run(async () => {
    const loop = getRunningLoop();
    assert(loop.isRunning());
    assert(currentTask() !== null);
    return loop;
  });
  assertEquals(loop.isClosed(), true);
});

Deno.test("run: called inside a running loop throws RuntimeError", async () => {
  await run(async () => {
    let ran = false;
    await assertRejects(
      () =>
        run(async () => {
          ran = true;
        }),
      RuntimeError,
    );
    assertEquals(ran, false);
  });
});

Deno.test("run: tasks left pending at the end are cancelled and their finally blocks run", async () => {
  const steps: string[] = [];
  let leftover: { cancelled(): boolean } | null = null;
  await run(async () => {
    leftover = createTask(async () => {
      try {
        await getRunningLoop().createFuture();
      } catch (e) {
        steps.push(e instanceof CancelledError ? "cancelled" : String(e));
        throw e;
      } finally {
        steps.push("finally");
        await sleep(0); // may still await during the shutdown
        steps.push("finally after await");
      }
    });
    await sleep(0);
    return "main done";
  });
  assertEquals(steps, ["cancelled", "finally", "finally after await"]);
  assert(leftover!.cancelled());
});

Deno.test("run: a leftover task that fails during the shutdown is reported to the exception handler", async () => {
  const contexts: ExceptionContext[] = [];
  await run(async () => {
    getRunningLoop().setExceptionHandler((_l, c) => contexts.push(c));
    createTask(async () => {
      try {
        await getRunningLoop().createFuture();
      } catch {
        throw new Error("failed while cancelled");
      }
    });
    await sleep(0);
  });
  assertEquals(contexts.length, 1);
  assert(contexts[0].message.includes("shutdown"), contexts[0].message);
  assert(contexts[0].task instanceof Task);
  assertEquals((contexts[0].exception as Error).message, "failed while cancelled");
});

Deno.test("run: the debug option turns debug mode on", async () => {
  assertEquals(await run(async () => getRunningLoop().getDebug(), { debug: true }), true);
  assertEquals(await run(async () => getRunningLoop().getDebug(), { debug: false }), false);
});

Deno.test("run: the loopFactory option makes the loop", async () => {
  class MyLoop extends EventLoop {}
  let made = 0;
  const result = await run(async () => getRunningLoop() instanceof MyLoop, {
    loopFactory: () => {
      made++;
      return new MyLoop();
    },
  });
  assertEquals(result, true);
  assertEquals(made, 1);
});

Deno.test("run: a KeyboardInterrupt in the main coroutine rejects run with it", async () => {
  await assertRejects(
    () =>
      run(async () => {
        await sleep(0);
        throw new KeyboardInterrupt();
      }),
    KeyboardInterrupt,
  );
});

Deno.test("run: a cancelled main task rejects with CancelledError", async () => {
  await assertRejects(
    () =>
      run(async () => {
        currentTask()!.cancel();
        await sleep(0);
      }),
    CancelledError,
  );
});

Deno.test("run: after it, the policy has no current loop (setEventLoop(null), as Python's Runner)", async () => {
  const saved = getEventLoopPolicy();
  setEventLoopPolicy(new DefaultEventLoopPolicy());
  try {
    let during: EventLoop | null = null;
    await run(async () => {
      during = getEventLoop();
    });
    assert(during !== null);
    assertThrows(() => getEventLoop(), RuntimeError);
  } finally {
    setEventLoopPolicy(saved);
  }
});

// ---- Runner -----------------------------------------------------------------

Deno.test("Runner: run() calls share one loop, closed by close()", async () => {
  const runner = new Runner();
  try {
    const loop1 = await runner.run(async () => getRunningLoop());
    const loop2 = await runner.run(async () => getRunningLoop());
    assertStrictEquals(loop1, loop2);
    assertStrictEquals(runner.getLoop(), loop1);
    assertEquals(loop1.isClosed(), false);
    assertEquals(loop1.isRunning(), false);
  } finally {
    await runner.close();
  }
  assertThrows(() => runner.getLoop(), RuntimeError);
});

Deno.test("Runner: state kept between run() calls, e.g. a task created in the first", async () => {
  const runner = new Runner();
  try {
    const fut = await runner.run(async () => {
      return { task: createTask(async () => "from the first run") };
    });
    assertEquals(await runner.run(async () => await fut.task), "from the first run");
  } finally {
    await runner.close();
  }
});

Deno.test("Runner: await using closes the loop at the end of the block", async () => {
  let loop: EventLoop;
  {
    await using runner = new Runner();
    loop = runner.getLoop();
    assertEquals(await runner.run(() => sleep(0, "inside")), "inside");
    assertEquals(loop.isClosed(), false);
  }
  assertEquals(loop.isClosed(), true);
});

Deno.test("Runner: close() cancels the tasks left by run()", async () => {
  const runner = new Runner();
  const steps: string[] = [];
  await runner.run(async () => {
    createTask(async () => {
      try {
        await sleep(3600);
      } finally {
        steps.push("cleaned up");
      }
    });
    await sleep(0);
  });
  assertEquals(steps, [], "nothing cancelled between runs");
  await runner.close();
  assertEquals(steps, ["cleaned up"]);
});

Deno.test("Runner: a closed runner's run() throws RuntimeError; closing twice is a no-op", async () => {
  const runner = new Runner();
  await runner.run(async () => 1);
  await runner.close();
  await runner.close();
  await assertRejects(() => runner.run(async () => 2), RuntimeError);
});

Deno.test("Runner: closing a runner that never ran is a no-op; it can still run (as in Python)", async () => {
  const runner = new Runner();
  await runner.close();
  try {
    assertEquals(await runner.run(async () => 1), 1);
  } finally {
    await runner.close();
  }
  await assertRejects(() => runner.run(async () => 2), RuntimeError);
});

Deno.test("Runner: the loopFactory and debug options", async () => {
  const made: EventLoop[] = [];
  const runner = new Runner({
    debug: true,
    loopFactory: () => {
      const loop = newEventLoop();
      made.push(loop);
      return loop;
    },
  });
  try {
    assertEquals(made.length, 0, "the loop is made on first use");
    const loop = runner.getLoop();
    assertEquals(made, [loop]);
    assertEquals(loop.getDebug(), true);
    assertEquals(await runner.run(async () => getRunningLoop() === loop), true);
    assertEquals(made.length, 1);
  } finally {
    await runner.close();
  }
  assert(made[0].isClosed());
});

Deno.test("Runner: run() from inside a running loop throws RuntimeError", async () => {
  await using runner = new Runner();
  await run(async () => {
    await assertRejects(() => runner.run(async () => 1), RuntimeError);
  });
});

Deno.test("Runner: run() rethrows the coroutine's exception and stays usable", async () => {
  await using runner = new Runner();
  await assertRejects(
    () =>
      runner.run(async () => {
        throw new TypeError("first run failed");
      }),
    TypeError,
  );
  assertEquals(await runner.run(async () => "second run"), "second run");
});

Deno.test("Runner: run() takes an awaitable", async () => {
  await using runner = new Runner();
  assertEquals(await runner.run(Promise.resolve("awaited")), "awaited");
  const fut = runner.getLoop().createFuture<number>();
  fut.setResult(3);
  assertEquals(await runner.run(fut), 3);
});

Deno.test("Runner: its loop is the current event loop between runs, none after close()", async () => {
  const saved = getEventLoopPolicy();
  setEventLoopPolicy(new DefaultEventLoopPolicy());
  try {
    const runner = new Runner();
    try {
      await runner.run(async () => {});
      assertStrictEquals(getEventLoop(), runner.getLoop());
    } finally {
      await runner.close();
    }
    assertThrows(() => getEventLoop(), RuntimeError);
  } finally {
    setEventLoopPolicy(saved);
  }
});

Deno.test("Runner: with a loopFactory the current event loop is left alone", async () => {
  const saved = getEventLoopPolicy();
  setEventLoopPolicy(new DefaultEventLoopPolicy());
  const current = newEventLoop();
  try {
    setEventLoop(current);
    await using runner = new Runner({ loopFactory: newEventLoop });
    await runner.run(async () => {});
    assertStrictEquals(getEventLoop(), current);
  } finally {
    setEventLoopPolicy(saved);
    current.close();
  }
});
