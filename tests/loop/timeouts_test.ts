import {
  CancelledError,
  createTask,
  currentTask,
  getRunningLoop,
  sleep,
  timeout,
  timeoutAt,
  TimeoutError,
  waitFor,
} from "../../mod.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals } from "../deps.ts";
import { runVirtual } from "./_virtual.ts";

Deno.test("timeout: a block that overruns throws TimeoutError at the deadline", async () => {
  await runVirtual(async () => {
    const loop = getRunningLoop();
    const start = loop.time();
    let sawCancel = false;
    await assertRejects(
      () =>
        timeout(2, async () => {
          try {
            await sleep(10);
          } catch (e) {
            sawCancel = e instanceof CancelledError;
            throw e;
          }
        }),
      TimeoutError,
    );
    assert(sawCancel, "the block sees CancelledError at its await");
    assertEquals(loop.time() - start, 2);
    assertEquals(currentTask()!.cancelling(), 0, "the timeout's cancellation is withdrawn");
  });
});

Deno.test("timeout: a block that finishes in time returns its value", async () => {
  await runVirtual(async () => {
    const value = await timeout(5, async (cm) => {
      await sleep(1);
      assert(!cm.expired());
      return "in time";
    });
    assertEquals(value, "in time");
  });
});

Deno.test("timeout: reschedule() moves the deadline, null removes it", async () => {
  await runVirtual(async () => {
    const loop = getRunningLoop();
    await timeout(1, async (cm) => {
      cm.reschedule(null);
      assertStrictEquals(cm.when(), null);
      await sleep(5);
      cm.reschedule(loop.time() + 10);
      await sleep(5);
    });
    const start = loop.time();
    await assertRejects(
      () =>
        timeout(null, async (cm) => {
          cm.reschedule(loop.time() + 3);
          await sleep(100);
        }),
      TimeoutError,
    );
    assertEquals(loop.time() - start, 3);
  });
});

Deno.test("timeout: a deadline already past cancels at the first await", async () => {
  await runVirtual(async () => {
    const loop = getRunningLoop();
    await assertRejects(() => timeoutAt(loop.time() - 1, () => sleep(1)), TimeoutError);
  });
});

Deno.test("timeout: an outside cancellation is not turned into TimeoutError", async () => {
  await runVirtual(async () => {
    const task = createTask(() => timeout(10, () => sleep(100)));
    await sleep(1);
    task.cancel();
    await assertRejects(() => task, CancelledError);
    assert(task.cancelled());
  });
});

Deno.test("timeout: the error of the block wins over the deadline when raised first", async () => {
  await runVirtual(async () => {
    await assertRejects(
      () =>
        timeout(10, async () => {
          await sleep(1);
          throw new SyntaxError("bad");
        }),
      SyntaxError,
    );
  });
});

Deno.test("timeout: used outside a task throws RuntimeError; a Timeout is entered once", async () => {
  await runVirtual(async () => {
    const loop = getRunningLoop();
    const fut = loop.createFuture<unknown>();
    loop.callSoon(() => {
      timeout(1, () => 1).then(
        () => fut.setResult("no error"),
        (e) => fut.setResult((e as Error).name),
      );
    });
    assertEquals(await fut, "RuntimeError");
  });
});

Deno.test("timeout: an AbortSignal ends the block with its reason", async () => {
  await runVirtual(async () => {
    const controller = new AbortController();
    const loop = getRunningLoop();
    loop.callLater(1, () => controller.abort(new URIError("stopped")));
    await assertRejects(
      () => timeout(null, () => sleep(100), { signal: controller.signal }),
      URIError,
    );
  });
});

Deno.test("waitFor: returns the result in time, and throws TimeoutError after", async () => {
  await runVirtual(async () => {
    const loop = getRunningLoop();
    assertEquals(await waitFor(sleep(1, "a"), 2), "a");
    assertEquals(await waitFor(() => sleep(1, "b"), 2), "b");
    assertEquals(await waitFor(sleep(1, "c"), null), "c");
    const start = loop.time();
    await assertRejects(() => waitFor(sleep(10), 3), TimeoutError);
    assertEquals(loop.time() - start, 3);
  });
});

Deno.test("waitFor: the awaited task is cancelled on timeout", async () => {
  await runVirtual(async () => {
    const inner = createTask(() => sleep(10));
    await assertRejects(() => waitFor(inner, 1), TimeoutError);
    assert(inner.cancelled());
  });
});

Deno.test("waitFor: a timeout of 0 cancels at once unless the future is done", async () => {
  await runVirtual(async () => {
    const loop = getRunningLoop();
    const done = loop.createFuture<number>();
    done.setResult(4);
    assertEquals(await waitFor(done, 0), 4);
    const pending = createTask(() => sleep(5));
    await assertRejects(() => waitFor(pending, 0), TimeoutError);
    assert(pending.cancelled());
  });
});

Deno.test("waitFor: a foreign promise is waited for with a deadline", async () => {
  await runVirtual(async () => {
    let resolveIt!: (v: string) => void;
    const foreign = new Promise<string>((resolve) => resolveIt = resolve);
    await assertRejects(() => waitFor(foreign, 1), TimeoutError);
    resolveIt("late");
    assertEquals(await foreign, "late");
  });
});

Deno.test("waitFor: cancelling the waiting task cancels the inner awaitable", async () => {
  await runVirtual(async () => {
    const inner = createTask(() => sleep(10));
    const outer = createTask(() => waitFor(inner, 5));
    await sleep(1);
    outer.cancel();
    await assertRejects(() => outer, CancelledError);
    assert(inner.cancelled());
  });
});
