// deno-lint-ignore-file require-await -- an async coroutine without await is legitimate, as an
// `async def` without await is in Python.
// sleep: one iteration for sleep(0), the result value, argument checks,
// AbortSignal support and cancellation that leaves no timer behind.
import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "../deps.ts";
import {
  CancelledError,
  createTask,
  currentTask,
  EventLoop,
  Future,
  newEventLoop,
  RuntimeError,
  sleep,
} from "../../mod.ts";

async function runOn<T>(main: (loop: EventLoop) => Promise<T>): Promise<T> {
  const loop = newEventLoop();
  try {
    return await loop.runUntilComplete(() => main(loop));
  } finally {
    loop.close();
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

Deno.test("sleep(0) yields exactly one loop iteration", async () => {
  await runOn(async (loop) => {
    const order: string[] = [];
    loop.callSoon(() => {
      order.push("iteration 1");
      loop.callSoon(() => order.push("iteration 2"));
    });
    await sleep(0);
    order.push("task resumed");
    await sleep(0);
    order.push("task resumed again");
    assertEquals(order, ["iteration 1", "task resumed", "iteration 2", "task resumed again"]);
  });
});

Deno.test("sleep(0) lets the other tasks run in turn", async () => {
  await runOn(async () => {
    const order: string[] = [];
    const worker = (name: string) => async () => {
      for (let i = 0; i < 3; i++) {
        order.push(`${name}${i}`);
        await sleep(0);
      }
    };
    const a = createTask(worker("a"));
    const b = createTask(worker("b"));
    await a;
    await b;
    assertEquals(order, ["a0", "b0", "a1", "b1", "a2", "b2"]);
  });
});

Deno.test("sleep: gives the result value", async () => {
  await runOn(async () => {
    assertStrictEquals(await sleep(0), undefined);
    assertEquals(await sleep(0, "value"), "value");
    const obj = { x: 1 };
    assertStrictEquals(await sleep(0.001, obj), obj);
  });
});

Deno.test("sleep: returns a Future of the running loop", async () => {
  await runOn(async (loop) => {
    const fut = sleep(0);
    assert(fut instanceof Future);
    assertStrictEquals(fut.getLoop(), loop);
    await fut;
  });
});

Deno.test("sleep: a short delay waits at least that long on the loop clock", async () => {
  await runOn(async (loop) => {
    const start = loop.time();
    await sleep(0.01);
    assert(loop.time() - start >= 0.0099, `${loop.time() - start}`);
  });
});

Deno.test("sleep: a negative delay behaves as 0", async () => {
  await runOn(async () => {
    assertEquals(await sleep(-1, "neg"), "neg");
  });
});

Deno.test("sleep(Infinity) waits until cancelled, without waking the loop", async () => {
  let reads = 0;
  class ClockCountingLoop extends EventLoop {
    override time(): number {
      reads++;
      return super.time();
    }
  }
  const loop = new ClockCountingLoop();
  try {
    const task = loop.createTask(() => sleep(Infinity, "never"));
    const stopper = setTimeout(() => loop.stop(), 20);
    try {
      await loop.runForever();
    } finally {
      clearTimeout(stopper);
    }
    assertEquals(task.done(), false);
    assert(reads < 10, `${reads} clock reads in 20 ms: the loop kept waking`);
    task.cancel();
    await assertRejects(() => loop.runUntilComplete(task), CancelledError);
  } finally {
    loop.close();
  }
});

Deno.test("sleep: a non-number delay throws TypeError, NaN throws RangeError", async () => {
  await runOn(async () => {
    assertThrows(() => sleep("1" as unknown as number), TypeError);
    assertThrows(() => sleep(undefined as unknown as number), TypeError);
    assertThrows(() => sleep(null as unknown as number), TypeError);
    assertThrows(() => sleep(NaN), RangeError);
  });
});

Deno.test("sleep: outside a running loop throws RuntimeError", () => {
  assertThrows(() => sleep(0), RuntimeError);
});

Deno.test("sleep: an already aborted signal rejects with its reason", async () => {
  await runOn(async () => {
    const reason = new Error("aborted before");
    const fut = sleep(3600, "never", { signal: AbortSignal.abort(reason) });
    assertStrictEquals(await rejection(fut), reason);
  });
});

Deno.test("sleep: a signal aborted during the sleep rejects with its reason", async () => {
  await runOn(async (loop) => {
    const controller = new AbortController();
    const reason = new RangeError("aborted later");
    loop.callSoon(() => controller.abort(reason));
    assertStrictEquals(await rejection(sleep(3600, 1, { signal: controller.signal })), reason);
    assertStrictEquals(loop._nextTimerWhen(), undefined, "the timer was dropped");
  });
});

Deno.test("sleep: the default abort reason is a DOMException AbortError", async () => {
  await runOn(async (loop) => {
    const controller = new AbortController();
    loop.callSoon(() => controller.abort());
    const error = await rejection(sleep(3600, 1, { signal: controller.signal }));
    assert(error instanceof DOMException);
    assertEquals(error.name, "AbortError");
  });
});

Deno.test("sleep: a CancelledError abort reason cancels the sleep", async () => {
  await runOn(async (loop) => {
    const controller = new AbortController();
    const fut = sleep(3600, 1, { signal: controller.signal });
    loop.callSoon(() => controller.abort(new CancelledError("via signal")));
    const error = await rejection(fut);
    assert(error instanceof CancelledError);
    assertEquals(error.message, "via signal");
    assert(fut.cancelled());
  });
});

Deno.test("sleep: a signal aborted after the sleep ended changes nothing", async () => {
  await runOn(async () => {
    const controller = new AbortController();
    assertEquals(await sleep(0, "ok", { signal: controller.signal }), "ok");
    controller.abort(new Error("late"));
    await sleep(0);
  });
});

Deno.test("sleep: a task's signal ends a sleep when the task is cancelled", async () => {
  await runOn(async () => {
    let inner: unknown = null;
    const task = createTask(async () => {
      try {
        await sleep(3600, null, { signal: currentTask()!.signal });
      } catch (e) {
        inner = e;
        throw e;
      }
    });
    await sleep(0);
    await sleep(0);
    task.cancel("bye");
    await rejection(task);
    assert(inner instanceof CancelledError);
    assert(task.cancelled());
  });
});

Deno.test("sleep: a cancelled sleep leaves no timer behind", async () => {
  await runOn(async (loop) => {
    const task = createTask(() => sleep(3600));
    await sleep(0);
    assert(loop._nextTimerWhen() !== undefined, "the sleep's timer is scheduled");
    task.cancel();
    assert((await rejection(task)) instanceof CancelledError);
    assertStrictEquals(loop._nextTimerWhen(), undefined, "the timer was cancelled");
  });
});

Deno.test("sleep: cancelling the sleep future itself throws CancelledError at the await", async () => {
  await runOn(async (loop) => {
    const fut = sleep(3600);
    loop.callSoon(() => fut.cancel("direct"));
    const error = await rejection(fut);
    assert(error instanceof CancelledError);
    assertEquals(error.message, "direct");
    assertStrictEquals(loop._nextTimerWhen(), undefined);
  });
});

Deno.test("sleep: several sleeps wake in order of their delays", async () => {
  await runOn(async () => {
    const order: number[] = [];
    const sleeper = (d: number) => async () => {
      await sleep(d);
      order.push(d);
    };
    const tasks = [0.006, 0.002, 0.004, 0].map((d) => createTask(sleeper(d)));
    for (const t of tasks) await t;
    assertEquals(order, [0, 0.002, 0.004, 0.006]);
  });
});
