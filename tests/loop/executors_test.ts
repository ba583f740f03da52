// Executors: WorkerPoolExecutor (ThreadPoolExecutor), ProcessPoolExecutor,
// runInExecutor, toThread. Results and arguments, both function forms,
// errors, cancellation, the maxWorkers bound, shutdown, the default
// executor, and processes that exit with an idle pool.
import { assert, assertEquals, assertStrictEquals, assertThrows } from "../deps.ts";
import {
  BrokenExecutor,
  CancelledError,
  createTask,
  type EventLoop,
  getRunningLoop,
  newEventLoop,
  ProcessPoolExecutor,
  run,
  RuntimeError,
  sleep,
  ThreadPoolExecutor,
  TimeoutError,
  toThread,
  transfer,
  waitFor,
  WorkerPoolExecutor,
} from "../../mod.ts";

const MODULE = new URL("./_executor_module.ts", import.meta.url);
const MOD_TS = new URL("../../mod.ts", import.meta.url);

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

// Polls `condition` on the loop's clock until it holds, or fails after `seconds`.
async function until(condition: () => boolean, seconds = 20, what = "condition"): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// ---- results and arguments ----------------------------------------------------------

Deno.test("WorkerPoolExecutor.submit: results and arguments by structured clone", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
  assertEquals(await pool.submit((a: number, b: number) => a + b, 2, 3), 5);
  assertEquals(await pool.submit(() => undefined), undefined);
  const echoed = await pool.submit(
    (value: unknown) => value,
    {
      map: new Map([[1, "one"]]),
      bytes: new Uint8Array([1, 2]),
      big: 2n ** 70n,
      date: new Date(0),
    },
  );
  assertEquals(echoed, {
    map: new Map([[1, "one"]]),
    bytes: new Uint8Array([1, 2]),
    big: 2n ** 70n,
    date: new Date(0),
  });
  const input = { nested: [1, 2, 3] };
  const copy = await pool.submit((v: { nested: number[] }) => {
    v.nested.push(4);
    return v;
  }, input);
  assertEquals(copy, { nested: [1, 2, 3, 4] });
  assertEquals(input, { nested: [1, 2, 3] }, "the caller's object is not shared");
});

Deno.test("WorkerPoolExecutor.submit: an async function's promise is awaited in the Worker", async () => {
  await using pool = new WorkerPoolExecutor(1);
  const result = await pool.submit(async (ms: number) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return "slept";
  }, 10);
  assertEquals(result, "slept");
});

Deno.test("WorkerPoolExecutor.submit: function sources of every shape", async () => {
  await using pool = new WorkerPoolExecutor(1);
  function declared(x: number) {
    return x + 1;
  }
  const methods = {
    method(x: number) {
      return x * 10;
    },
    async asyncMethod(x: number) {
      return await Promise.resolve(x * 100);
    },
  };
  class Holder {
    static twice(x: number) {
      return 2 * x;
    }
  }
  assertEquals(await pool.submit(declared, 1), 2);
  assertEquals(await pool.submit(methods.method, 2), 20);
  assertEquals(await pool.submit(methods.asyncMethod, 3), 300);
  assertEquals(await pool.submit(Holder.twice, 4), 8);
  assertEquals(await pool.submit((x: number) => x - 1, 5), 4);
});

Deno.test("WorkerPoolExecutor.submit: { module, name } imports the module in the Worker", async () => {
  await using pool = new WorkerPoolExecutor(1);
  assertEquals(await pool.submit({ module: MODULE, name: "triple" }, 7), 21);
  assertEquals(await pool.submit({ module: MODULE.href, name: "slowEcho" }, "echo", 5), "echo");
  // The Worker keeps the module: its state lives on between calls.
  const first = await pool.submit<number>({ module: MODULE, name: "count" });
  const second = await pool.submit<number>({ module: MODULE, name: "count" });
  assertEquals(second, first + 1);
  const err = await rejection(pool.submit({ module: MODULE, name: "fail" }, "module failed"));
  assert(err instanceof RangeError);
  assertEquals(err.message, "module failed");
  const missing = await rejection(pool.submit({ module: MODULE, name: "notAFunction" }));
  assert(missing instanceof TypeError, String(missing));
  assert(missing.message.includes("notAFunction"));
  const absent = await rejection(
    pool.submit({ module: new URL("./no_such_module.ts", import.meta.url), name: "f" }),
  );
  assert(absent instanceof Error, String(absent));
  // Still usable afterwards.
  assertEquals(await pool.submit({ module: MODULE, name: "triple" }, 1), 3);
});

Deno.test("WorkerPoolExecutor.submit: a relative module path is resolved against the current directory", async () => {
  await using pool = new WorkerPoolExecutor(1);
  const path = "./" + decodeURIComponent(MODULE.pathname).slice(Deno.cwd().length + 1);
  assert(
    decodeURIComponent(MODULE.pathname).startsWith(Deno.cwd()),
    "run the tests from the repository",
  );
  assertEquals(await pool.submit({ module: path, name: "triple" }, 2), 6);
});

// ---- errors -----------------------------------------------------------------------------

Deno.test("WorkerPoolExecutor: an error keeps its name, message and the Worker's stack", async () => {
  await using pool = new WorkerPoolExecutor(1);
  const typeError = await rejection(pool.submit(() => {
    throw new TypeError("bad type");
  }));
  assert(typeError instanceof TypeError);
  assertEquals(typeError.name, "TypeError");
  assertEquals(typeError.message, "bad type");
  assert(typeError.stack?.startsWith("TypeError: bad type\n"), typeError.stack);
  assert(typeError.stack?.includes("executor-function.js"), typeError.stack);

  const custom = await rejection(pool.submit(() => {
    class ParseError extends Error {
      line = 3;
    }
    ParseError.prototype.name = "ParseError";
    throw new ParseError("bad input", { cause: new RangeError("inner") });
  })) as Error & { line?: number };
  assert(custom instanceof Error);
  assertEquals(custom.name, "ParseError");
  assertEquals(custom.message, "bad input");
  assertEquals(custom.line, 3);
  assert(custom.cause instanceof RangeError);
  assertEquals((custom.cause as Error).message, "inner");

  // Deno's own errors come back as Deno.errors classes.
  const notFound = await rejection(pool.submit(() => Deno.readTextFileSync("/no/such/file")));
  assert(notFound instanceof Deno.errors.NotFound, String(notFound));

  // This library's names come back as its classes.
  const runtime = await rejection(pool.submit(() => {
    const error = new Error("loop trouble");
    error.name = "RuntimeError";
    throw error;
  }));
  assert(runtime instanceof RuntimeError);

  // A thrown value that is not an error passes through.
  assertEquals(
    await rejection(pool.submit(() => {
      throw { code: 42 };
    })),
    { code: 42 },
  );
});

Deno.test("WorkerPoolExecutor: a function referring to an outer variable fails with ReferenceError", async () => {
  await using pool = new WorkerPoolExecutor(1);
  const outer = 41;
  const err = await rejection(pool.submit(() => outer + 1));
  assert(err instanceof ReferenceError, String(err));
  assertEquals(err.name, "ReferenceError");
  assert(err.message.includes("outer"), err.message);
});

Deno.test("WorkerPoolExecutor.submit: bad functions throw TypeError at the call", async () => {
  await using pool = new WorkerPoolExecutor(1);
  assertThrows(() => pool.submit(Math.max, 1, 2), TypeError);
  assertThrows(() => pool.submit(((x: number) => x).bind(null), 1), TypeError);
  assertThrows(() => pool.submit(42 as unknown as () => void), TypeError);
  assertThrows(() => pool.submit({ module: MODULE, name: "" }), TypeError);
  assertThrows(() => new WorkerPoolExecutor({ maxWorkers: 0 }), RangeError);
  assertThrows(() => new WorkerPoolExecutor(1.5), RangeError);
  assertEquals(pool._liveWorkers, 0, "no Worker was started for them");
});

Deno.test("WorkerPoolExecutor: values that cannot be cloned reject with DataCloneError", async () => {
  await using pool = new WorkerPoolExecutor(1);
  const badArg = await rejection(pool.submit((f: unknown) => typeof f, () => 1));
  assertEquals((badArg as Error).name, "DataCloneError");
  const badResult = await rejection(pool.submit(() => () => 1));
  assertEquals((badResult as Error).name, "DataCloneError");
  assertEquals(await pool.submit(() => "still fine"), "still fine");
});

Deno.test("WorkerPoolExecutor: a Worker that dies is replaced; a call it was running gets BrokenExecutor", async () => {
  await using pool = new WorkerPoolExecutor(1);
  // The call itself succeeds; the error its timer throws later kills the Worker.
  assertEquals(
    await pool.submit(() => {
      setTimeout(() => {
        throw new Error("stray timer");
      }, 1);
      return "returned";
    }),
    "returned",
  );
  await until(() => pool._liveWorkers === 0, 20, "the Worker to die");
  const broken = await rejection(pool.submit(async () => {
    setTimeout(() => {
      throw new Error("dies mid-call");
    }, 1);
    await new Promise((resolve) => setTimeout(resolve, 60_000));
  }));
  assert(broken instanceof BrokenExecutor, String(broken));
  assert((broken.cause as Error)?.message.includes("dies mid-call"), String(broken.cause));
  assertEquals(await pool.submit(() => "replacement"), "replacement");
});

// ---- transfer -----------------------------------------------------------------------------

Deno.test("transfer: moves buffers to the Worker and back instead of copying", async () => {
  await using pool = new WorkerPoolExecutor(1);
  const input = new Uint8Array(1 << 16).fill(7);
  const output = await pool.submit((bytes: Uint8Array) => {
    bytes[0] = 1;
    return transfer(bytes);
  }, transfer(input));
  assertEquals(input.byteLength, 0, "the argument's buffer moved");
  assertEquals(output.length, 1 << 16);
  assertEquals([output[0], output[1]], [1, 7]);
  // An explicit list, for a buffer inside another value.
  const buffer = new ArrayBuffer(8);
  const size = await pool.submit(
    (v: { b: ArrayBuffer }) => v.b.byteLength,
    transfer({ b: buffer }, [buffer]),
  );
  assertEquals(size, 8);
  assertEquals(buffer.byteLength, 0);
  // Without transfer, a copy.
  const kept = new Uint8Array(4);
  await pool.submit((b: Uint8Array) => b.length, kept);
  assertEquals(kept.byteLength, 4);
  assertThrows(() => transfer({ not: "a buffer" }), TypeError);
});

// ---- concurrency ----------------------------------------------------------------------------

// A job that counts itself in a shared Int32Array: [running, max running,
// finished]. It waits (up to 10 s) until `target` jobs run at once, so that
// the count shows the bound and not how fast Workers start.
function occupy(sab: SharedArrayBuffer, target: number, holdMs: number): number {
  const a = new Int32Array(sab);
  const now = Atomics.add(a, 0, 1) + 1;
  for (;;) {
    const max = Atomics.load(a, 1);
    if (now <= max || Atomics.compareExchange(a, 1, max, now) === max) break;
  }
  Atomics.notify(a, 0);
  const deadline = Date.now() + 10_000;
  // Until `target` calls have run at once (the max, which never decreases).
  while (Atomics.load(a, 1) < target && Date.now() < deadline) Atomics.wait(a, 0, now, 20);
  Atomics.wait(a, 3, 0, holdMs);
  Atomics.sub(a, 0, 1);
  Atomics.add(a, 2, 1);
  Atomics.notify(a, 0);
  return now;
}

Deno.test("WorkerPoolExecutor: maxWorkers bounds how many calls run at once", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
  const sab = new SharedArrayBuffer(16);
  const counts = new Int32Array(sab);
  const jobs = [1, 2, 3, 4].map(() => pool.submit(occupy, sab, 2, 30));
  await until(() => pool._liveWorkers === 2, 20, "two Workers");
  const observed = await Promise.all(jobs);
  assertEquals(Atomics.load(counts, 2), 4, "every call ran");
  assertEquals(Atomics.load(counts, 1), 2, "two at a time, never more");
  assert(observed.every((n) => n <= 2), String(observed));
  assert(pool._liveWorkers <= 2);
});

Deno.test("WorkerPoolExecutor: Workers start lazily and are reused", async () => {
  await using pool = new WorkerPoolExecutor({ maxWorkers: 4 });
  assertEquals(pool._liveWorkers, 0);
  const threadIds = new Set<number>();
  for (let i = 0; i < 5; i++) {
    threadIds.add(await pool.submit(async () => (await import("node:worker_threads")).threadId));
  }
  assertEquals(threadIds.size, 1, "one call at a time needs one Worker");
  assertEquals(pool._liveWorkers, 1);
});

// ---- cancellation ----------------------------------------------------------------------------

function blockUntilReleased(sab: SharedArrayBuffer): string {
  const a = new Int32Array(sab);
  Atomics.store(a, 0, 1); // started
  Atomics.wait(a, 1, 0, 30_000); // until released
  Atomics.store(a, 2, 1); // finished
  return "finished";
}

Deno.test("runInExecutor: cancelling the task rejects at once; the Worker finishes its call", async () => {
  await using pool = new WorkerPoolExecutor(1);
  const sab = new SharedArrayBuffer(12);
  const flags = new Int32Array(sab);
  await runOn(async (loop) => {
    const task = createTask(async () => await loop.runInExecutor(pool, blockUntilReleased, sab));
    while (Atomics.load(flags, 0) === 0) await sleep(0.005);
    const start = loop.time();
    task.cancel("stop waiting");
    const err = await rejection(task);
    assert(err instanceof CancelledError, String(err));
    assert(task.cancelled());
    assert(loop.time() - start < 5, "rejected without waiting for the Worker");
    assertEquals(Atomics.load(flags, 2), 0, "the Worker is still in its call");
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    while (Atomics.load(flags, 2) === 0) await sleep(0.005);
  });
  // The Worker is free again: its dropped result did not wedge it.
  assertEquals(await pool.submit(() => "next"), "next");
});

Deno.test("runInExecutor: a cancelled call that has not started never runs", async () => {
  await using pool = new WorkerPoolExecutor(1);
  const sab = new SharedArrayBuffer(12);
  const flags = new Int32Array(sab);
  const ran = new SharedArrayBuffer(4);
  await runOn(async (loop) => {
    const first = loop.runInExecutor(pool, blockUntilReleased, sab);
    const second = loop.runInExecutor(pool, (s: SharedArrayBuffer) => {
      Atomics.store(new Int32Array(s), 0, 1);
    }, ran);
    while (Atomics.load(flags, 0) === 0) await sleep(0.005);
    assert(second.cancel());
    assert(second.cancelled());
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    assertEquals(await first, "finished");
  });
  await pool.shutdown();
  assertEquals(Atomics.load(new Int32Array(ran), 0), 0);
});

// ---- shutdown ----------------------------------------------------------------------------

Deno.test("shutdown(): waits for the calls in progress, then terminates the Workers", async () => {
  const pool = new WorkerPoolExecutor(2);
  const order: string[] = [];
  const job = pool.submit(async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    return "slow";
  }).then((v) => order.push(v));
  await until(() => pool._liveWorkers === 1, 20, "the Worker");
  await pool.shutdown();
  order.push("shutdown");
  await job;
  assertEquals(order, ["slow", "shutdown"]);
  assertEquals(pool._liveWorkers, 0);
  assertThrows(() => pool.submit(() => 1), RuntimeError);
  await pool.shutdown(); // again: harmless
});

Deno.test("shutdown(false): returns at once, the call finishes, then its Worker is terminated", async () => {
  const pool = new WorkerPoolExecutor(2);
  // Two Workers: one idle, one busy.
  const both = new SharedArrayBuffer(16);
  await Promise.all([pool.submit(occupy, both, 2, 0), pool.submit(occupy, both, 2, 0)]);
  assertEquals(pool._liveWorkers, 2);
  const sab = new SharedArrayBuffer(12);
  const flags = new Int32Array(sab);
  const running = pool.submit(blockUntilReleased, sab);
  await until(() => Atomics.load(flags, 0) === 1, 20, "the call to start");
  assertStrictEquals(pool.shutdown(false), undefined);
  assertThrows(
    () => pool.submit(() => 1),
    RuntimeError,
    "cannot schedule new futures after shutdown",
  );
  await until(() => pool._liveWorkers === 1, 20, "the idle Worker to be terminated");
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
  assertEquals(await running, "finished");
  await until(() => pool._liveWorkers === 0, 20, "the last Worker to be terminated");
  await pool.shutdown();
});

Deno.test("shutdown(true, { cancelFutures }): queued calls reject with CancelledError", async () => {
  const pool = new WorkerPoolExecutor(1);
  const sab = new SharedArrayBuffer(12);
  const flags = new Int32Array(sab);
  const running = pool.submit(blockUntilReleased, sab);
  const queued = [pool.submit(() => 1), pool.submit(() => 2)];
  await until(() => Atomics.load(flags, 0) === 1, 20, "the call to start");
  const done = pool.shutdown(true, { cancelFutures: true });
  for (const q of queued) assert((await rejection(q)) instanceof CancelledError);
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 1);
  assertEquals(await running, "finished");
  await done;
  assertEquals(pool._liveWorkers, 0);
});

Deno.test("terminateWorkers(): a running call rejects with BrokenExecutor and the Workers go", async () => {
  const pool = new WorkerPoolExecutor(1);
  const started = new SharedArrayBuffer(4);
  const spinning = pool.submit((s: SharedArrayBuffer) => {
    Atomics.store(new Int32Array(s), 0, 1);
    for (;;) {
      // a CPU-bound call that never ends
    }
  }, started);
  const queued = pool.submit(() => 1);
  await until(() => Atomics.load(new Int32Array(started), 0) === 1, 20, "the call to start");
  await pool.terminateWorkers();
  assert((await rejection(spinning)) instanceof BrokenExecutor);
  assert((await rejection(queued)) instanceof CancelledError);
  assertEquals(pool._liveWorkers, 0);
});

Deno.test("await using: disposal is shutdown()", async () => {
  let pool: WorkerPoolExecutor;
  {
    await using p = new WorkerPoolExecutor(1);
    pool = p;
    assertEquals(await p.submit(() => "used"), "used");
  }
  assertEquals(pool._liveWorkers, 0);
  assertThrows(() => pool.submit(() => 1), RuntimeError);
});

Deno.test("initializer runs first in each Worker; its failure breaks the pool", async () => {
  {
    await using pool = new WorkerPoolExecutor({
      maxWorkers: 1,
      initializer: (greeting: string) => {
        (globalThis as Record<string, unknown>).greeting = greeting;
      },
      initargs: ["hello"],
    });
    assertEquals(
      await pool.submit(() => (globalThis as Record<string, unknown>).greeting),
      "hello",
    );
  }
  const broken = new WorkerPoolExecutor({
    maxWorkers: 1,
    initializer: () => {
      throw new Error("no database");
    },
  });
  const err = await rejection(broken.submit(() => 1));
  assert(err instanceof BrokenExecutor, String(err));
  assert(err instanceof RuntimeError);
  assertEquals((err.cause as Error).message, "no database");
  assertThrows(() => broken.submit(() => 1), BrokenExecutor);
  await broken.shutdown();
  assertEquals(broken._liveWorkers, 0);
});

Deno.test("map: results in order; leaving early cancels the rest", async () => {
  await using pool = new WorkerPoolExecutor(2);
  const results: number[] = [];
  for await (const r of pool.map((a: number, b: number) => a * b, [1, 2, 3, 4], [10, 20, 30])) {
    results.push(r as number);
  }
  assertEquals(results, [10, 40, 90]);
  const err = await rejection((async () => {
    for await (
      const _ of pool.map((x: number) => {
        if (x === 2) throw new RangeError("two");
        return x;
      }, [1, 2, 3])
    ) {
      // consume
    }
  })());
  assert(err instanceof RangeError);
});

Deno.test("ThreadPoolExecutor is WorkerPoolExecutor", async () => {
  assertStrictEquals(ThreadPoolExecutor, WorkerPoolExecutor);
  await using pool = new ThreadPoolExecutor(1);
  assert(pool instanceof WorkerPoolExecutor);
  assertEquals(await pool.submit(() => "thread"), "thread");
});

// ---- the loop's default executor ----------------------------------------------------------

Deno.test("runInExecutor(null): makes the default WorkerPoolExecutor once, on first use", async () => {
  await runOn(async (loop) => {
    assertStrictEquals(loop._getDefaultExecutor(), null);
    const fut = loop.runInExecutor(null, (x: number) => x + 1, 1);
    const executor = loop._getDefaultExecutor();
    assert(executor instanceof WorkerPoolExecutor);
    assertEquals(await fut, 2);
    assertEquals(await loop.runInExecutor(null, (x: number) => x + 2, 1), 3);
    assertStrictEquals(loop._getDefaultExecutor(), executor);
    await loop.shutdownDefaultExecutor();
    assertEquals((executor as WorkerPoolExecutor)._liveWorkers, 0);
    assertThrows(
      () => loop.runInExecutor(null, () => 1),
      RuntimeError,
      "Executor shutdown has been called",
    );
  });
});

Deno.test("runInExecutor: setDefaultExecutor's executor is used; a foreign executor with submit() works", async () => {
  await runOn(async (loop) => {
    const pool = new WorkerPoolExecutor(1);
    loop.setDefaultExecutor(pool);
    assertEquals(await loop.runInExecutor(null, () => "mine"), "mine");
    assertEquals(pool._liveWorkers, 1);
    const calls: unknown[] = [];
    const foreign = {
      submit(func: unknown, ...args: unknown[]) {
        calls.push(func, ...args);
        return Promise.resolve("foreign result");
      },
      shutdown() {},
    };
    assertEquals(
      await loop.runInExecutor(foreign, "f" as unknown as () => void, 1, 2),
      "foreign result",
    );
    assertEquals(calls, ["f", 1, 2]);
    assertThrows(() => loop.runInExecutor({ shutdown() {} }, () => 1), TypeError);
    await loop.shutdownDefaultExecutor();
    assertEquals(pool._liveWorkers, 0);
  });
});

Deno.test("runInExecutor: the Future belongs to the loop; a closed loop refuses", async () => {
  const loop = newEventLoop();
  await using pool = new WorkerPoolExecutor(1);
  const fut = loop.runInExecutor(pool, () => 5);
  assertStrictEquals(fut.getLoop(), loop);
  assertEquals(await loop.runUntilComplete(fut), 5);
  loop.close();
  assertThrows(() => loop.runInExecutor(pool, () => 1), RuntimeError, "Event loop is closed");
});

Deno.test("run(): closing the loop shuts the default executor down", async () => {
  let executor: WorkerPoolExecutor | null = null;
  const result = await run(async () => {
    const value = await toThread((a: string) => a.toUpperCase(), "to thread");
    executor = getRunningLoop()._getDefaultExecutor() as WorkerPoolExecutor;
    return value;
  });
  assertEquals(result, "TO THREAD");
  assert(executor !== null);
  assertEquals((executor as WorkerPoolExecutor)._liveWorkers, 0);
  assertThrows(() => (executor as WorkerPoolExecutor).submit(() => 1), RuntimeError);
});

Deno.test("toThread: runs on the default executor; module functions too; needs a running loop", async () => {
  await run(async () => {
    assertEquals(await toThread((a: number, b: number) => a ** b, 2, 10), 1024);
    assertEquals(await toThread<number>({ module: MODULE, name: "triple" }, 5), 15);
    const outer = "captured";
    const err = await rejection(toThread(() => outer));
    assert(err instanceof ReferenceError);
  });
  assertThrows(() => toThread(() => 1), RuntimeError);
});

Deno.test("toThread: cancellation through the task, as a timeout does", async () => {
  await run(async () => {
    const sab = new SharedArrayBuffer(12);
    const flags = new Int32Array(sab);
    const err = await rejection(waitFor(toThread(blockUntilReleased, sab), 0.05));
    assert(err instanceof TimeoutError, String(err));
    Atomics.store(flags, 1, 1);
    Atomics.notify(flags, 1);
    while (Atomics.load(flags, 2) === 0) await sleep(0.005);
  });
});

// ---- ProcessPoolExecutor ----------------------------------------------------------------------

Deno.test("ProcessPoolExecutor: functions and module functions in deno processes", async () => {
  await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
  const pid = await pool.submit(() => Deno.pid);
  assert(typeof pid === "number" && pid !== Deno.pid, "another process");
  assertEquals(await pool.submit((a: number, b: number) => a * b, 6, 7), 42);
  assertEquals(await pool.submit({ module: MODULE, name: "triple" }, 3), 9);
  assertEquals(
    await pool.submit((v: unknown) => v, { m: new Map([["k", 1n]]), b: new Uint8Array([5]) }),
    { m: new Map([["k", 1n]]), b: new Uint8Array([5]) },
  );
  const err = await rejection(pool.submit(() => {
    throw new TypeError("in the child");
  }));
  assert(err instanceof TypeError);
  assertEquals(err.message, "in the child");
  assert(err.stack?.includes("executor-function.js"), err.stack);
  // Frames larger than a pipe's chunk, both ways.
  const big = new Uint8Array(3_000_000).map((_, i) => i % 251);
  const back = await pool.submit((b: Uint8Array) => b.map((x) => x + 1), big);
  assertEquals(back.length, big.length);
  assert(back.every((x, i) => x === (i % 251) + 1));
  const outer = 1;
  assert((await rejection(pool.submit(() => outer))) instanceof ReferenceError);
  const badResult = await rejection(pool.submit(() => () => 1));
  assertEquals((badResult as Error).name, "DataCloneError");
  await runOn(async (loop) => {
    assertEquals(await loop.runInExecutor(pool, (s: string) => s + "!", "loop"), "loop!");
  });
});

Deno.test("ProcessPoolExecutor: a process that dies breaks its call and is replaced; maxTasksPerChild", async () => {
  {
    await using pool = new ProcessPoolExecutor({ maxWorkers: 1 });
    const err = await rejection(pool.submit(() => Deno.exit(3)));
    assert(err instanceof BrokenExecutor, String(err));
    assert(err.message.includes("exit code 3"), err.message);
    assertEquals(await pool.submit(() => "replaced"), "replaced");
  }
  await using pool = new ProcessPoolExecutor({ maxWorkers: 1, maxTasksPerChild: 1 });
  const first = await pool.submit(() => Deno.pid);
  const second = await pool.submit(() => Deno.pid);
  assert(first !== second, "a new process for each call");
});

Deno.test("ProcessPoolExecutor: shutdown(false) and killWorkers()", async () => {
  const pool = new ProcessPoolExecutor(1);
  assertEquals(await pool.submit(() => 1), 1);
  assertStrictEquals(pool.shutdown(false), undefined);
  await pool.shutdown();
  assertEquals(pool._liveWorkers, 0);
  const killed = new ProcessPoolExecutor(1);
  const forever = killed.submit(() => new Promise(() => setInterval(() => {}, 1000)));
  await until(() => killed._liveWorkers === 1, 20, "the process");
  await killed.killWorkers();
  assert((await rejection(forever)) instanceof BrokenExecutor);
  assertEquals(killed._liveWorkers, 0);
});

// ---- processes that end with an idle pool ------------------------------------------------------

async function runChildScript(
  source: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/child.ts`;
  await Deno.writeTextFile(path, source.replaceAll("MOD_TS", MOD_TS.href));
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", path],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    try {
      // The deadline is a loop timer: waitFor cancels the wait after 30 s.
      const result = await run(() => waitFor(output, 30));
      return {
        code: result.code,
        stdout: new TextDecoder().decode(result.stdout),
        stderr: new TextDecoder().decode(result.stderr),
      };
    } catch (error) {
      child.kill("SIGKILL");
      await output;
      throw new Error(`the child did not exit in time: ${error}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a process whose only remaining thing is an idle WorkerPoolExecutor exits", async () => {
  const { code, stdout, stderr } = await runChildScript(`
    import { WorkerPoolExecutor } from "MOD_TS";
    const pool = new WorkerPoolExecutor(2);
    console.log(await pool.submit((n: number) => n + 1, 41));
    console.log(await Promise.all([pool.submit(() => 1), pool.submit(() => 2)]));
    // no shutdown: the idle Workers must not keep the process alive
  `);
  assertEquals(code, 0, stderr);
  assertEquals(stdout, "42\n[ 1, 2 ]\n");
});

Deno.test("a process whose only remaining thing is an idle ProcessPoolExecutor exits; child output passes through", async () => {
  const { code, stdout, stderr } = await runChildScript(`
    import { ProcessPoolExecutor } from "MOD_TS";
    const pool = new ProcessPoolExecutor(1);
    const result = await pool.submit((n: number) => {
      console.log("printed by the child");
      return n * 2;
    }, 21);
    console.log("result", result);
  `);
  assertEquals(code, 0, stderr);
  assertEquals(stdout, "printed by the child\nresult 42\n");
});

Deno.test("a process that used toThread in run() and a loop it closed itself exits", async () => {
  const { code, stdout, stderr } = await runChildScript(`
    import { newEventLoop, run, toThread } from "MOD_TS";
    console.log(await run(() => toThread((s: string) => s + " done", "run")));
    const loop = newEventLoop();
    console.log(await loop.runUntilComplete(loop.runInExecutor(null, () => "loop done")));
    loop.close();
  `);
  assertEquals(code, 0, stderr);
  assertEquals(stdout, "run done\nloop done\n");
});

// ---- the example -------------------------------------------------------------------------------

Deno.test("examples/executors.ts: the documentation's example with the three executors", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "examples/executors.ts"],
    cwd: new URL("../..", import.meta.url).pathname,
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  assert(/^default thread pool Uint8Array\(100\) \[/m.test(stdout), stdout);
  assert(/^custom thread pool Uint8Array\(100\) \[/m.test(stdout), stdout);
  assert(stdout.endsWith("custom process pool 333333283333335000000n\n"), stdout);
});
