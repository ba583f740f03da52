// Synchronization primitives: Event, Lock, Condition, Semaphore,
// BoundedSemaphore and Barrier, with CPython's fairness and cancellation
// rules (a cancelled waiter never loses a wakeup).
import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "../deps.ts";
import {
  BrokenBarrierError,
  CancelledError,
  createTask,
  gather,
  run,
  RuntimeError,
  sleep,
  type Task,
} from "../../mod.ts";
import { Barrier, BoundedSemaphore, Condition, Event, Lock, Semaphore } from "../../loop/locks.ts";

/** Lets the loop run `n` iterations. */
async function yields(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await sleep(0);
}

/** Awaits `task` and returns what it threw (or `undefined`). */
async function errorOf(task: Task<unknown>): Promise<unknown> {
  try {
    await task;
    return undefined;
  } catch (error) {
    return error;
  }
}

// ---- Event ------------------------------------------------------------------

Deno.test("Event: starts clear; set, isSet and clear", async () => {
  await run(async () => {
    const ev = new Event();
    assertStrictEquals(ev.isSet(), false);
    ev.set();
    assertStrictEquals(ev.isSet(), true);
    assertStrictEquals(await ev.wait(), true);
    ev.set(); // idempotent
    ev.clear();
    assertStrictEquals(ev.isSet(), false);
    assertEquals(ev.toString(), "<Event [unset]>");
  });
});

Deno.test("Event: set wakes every waiter, in FIFO order", async () => {
  await run(async () => {
    const ev = new Event();
    const order: number[] = [];
    const tasks = [0, 1, 2].map((i) =>
      createTask(async () => {
        assertStrictEquals(await ev.wait(), true);
        order.push(i);
      })
    );
    await yields();
    assertEquals(order, []);
    assertEquals(ev.toString(), "<Event [unset, waiters:3]>");
    ev.set();
    await gather(...tasks);
    assertEquals(order, [0, 1, 2]);
    assertEquals(ev.toString(), "<Event [set]>");
  });
});

Deno.test("Event: wait blocks again after clear", async () => {
  await run(async () => {
    const ev = new Event();
    ev.set();
    ev.clear();
    let woke = false;
    const task = createTask(async () => {
      await ev.wait();
      woke = true;
    });
    await yields();
    assertStrictEquals(woke, false);
    ev.set();
    await task;
    assertStrictEquals(woke, true);
  });
});

Deno.test("Event: set then clear at once still wakes the waiters", async () => {
  await run(async () => {
    const ev = new Event();
    const task = createTask(() => ev.wait());
    await yields();
    ev.set();
    ev.clear();
    assertStrictEquals(await task, true);
  });
});

Deno.test("Event: a cancelled waiter throws CancelledError; the others still wake", async () => {
  await run(async () => {
    const ev = new Event();
    const log: string[] = [];
    const a = createTask(async () => {
      try {
        await ev.wait();
        log.push("a woke");
      } catch (error) {
        assert(error instanceof CancelledError);
        log.push(`a cancelled: ${error.message}`);
        // Catch and continue: the event can be waited for again.
        await ev.wait();
        log.push("a woke later");
      }
    });
    const b = createTask(async () => {
      await ev.wait();
      log.push("b woke");
    });
    await yields();
    a.cancel("stop");
    await yields();
    assertEquals(log, ["a cancelled: stop"]);
    assertEquals(ev.toString(), "<Event [unset, waiters:2]>");
    ev.set();
    await gather(a, b);
    // a waits again behind b, so b wakes first.
    assertEquals(log, ["a cancelled: stop", "b woke", "a woke later"]);
  });
});

Deno.test("Event: a waiter cancelled after set() throws CancelledError", async () => {
  await run(async () => {
    const ev = new Event();
    const a = createTask(() => ev.wait());
    const b = createTask(() => ev.wait());
    await yields();
    ev.set();
    a.cancel();
    assert((await errorOf(a)) instanceof CancelledError);
    assertStrictEquals(await b, true);
    assertEquals(ev.toString(), "<Event [set]>");
  });
});

Deno.test("Event: bound to the loop of its first wait", async () => {
  const ev = new Event();
  await run(async () => {
    const task = createTask(() => ev.wait());
    await yields();
    ev.set();
    await task;
  });
  await run(async () => {
    assertStrictEquals(await ev.wait(), true); // set: no future needed
    ev.clear();
    await assertRejects(() => ev.wait(), RuntimeError);
  });
});

Deno.test("Event: wait outside a running loop throws RuntimeError", async () => {
  await assertRejects(() => new Event().wait(), RuntimeError);
});

// ---- Lock -------------------------------------------------------------------

Deno.test("Lock: acquire, locked and release", async () => {
  await run(async () => {
    const lock = new Lock();
    assertStrictEquals(lock.locked(), false);
    assertStrictEquals(await lock.acquire(), true);
    assertStrictEquals(lock.locked(), true);
    assertEquals(lock.toString(), "<Lock [locked]>");
    lock.release();
    assertStrictEquals(lock.locked(), false);
    assertEquals(lock.toString(), "<Lock [unlocked]>");
  });
});

Deno.test("Lock: release of an unlocked lock throws RuntimeError", () => {
  const lock = new Lock();
  assertThrows(() => lock.release(), RuntimeError);
});

Deno.test("Lock: waiters get the lock in FIFO order", async () => {
  await run(async () => {
    const lock = new Lock();
    const order: number[] = [];
    await lock.acquire();
    const tasks = [0, 1, 2, 3].map((i) =>
      createTask(async () => {
        await lock.acquire();
        order.push(i);
        await sleep(0);
        lock.release();
      })
    );
    await yields();
    assertEquals(lock.toString(), "<Lock [locked, waiters:4]>");
    lock.release();
    await gather(...tasks);
    assertEquals(order, [0, 1, 2, 3]);
    assertStrictEquals(lock.locked(), false);
  });
});

Deno.test("Lock: the using form releases at the end of the block, even on error", async () => {
  await run(async () => {
    const lock = new Lock();
    {
      await lock.acquire();
      using _ = lock;
      assertStrictEquals(lock.locked(), true);
    }
    assertStrictEquals(lock.locked(), false);
    const fail = async () => {
      await lock.acquire();
      using _ = lock;
      throw new Error("boom");
    };
    await assertRejects(fail, Error);
    assertStrictEquals(lock.locked(), false);
  });
});

Deno.test("Lock: mutual exclusion across many tasks", async () => {
  await run(async () => {
    const lock = new Lock();
    let inside = 0;
    let most = 0;
    const worker = async () => {
      for (let i = 0; i < 5; i++) {
        await lock.acquire();
        using _ = lock;
        inside++;
        most = Math.max(most, inside);
        await sleep(0);
        inside--;
      }
    };
    await gather(...Array.from({ length: 10 }, () => () => worker()));
    assertStrictEquals(most, 1);
    assertStrictEquals(lock.locked(), false);
  });
});

Deno.test("Lock: a cancelled waiter leaves the queue; the others keep their order", async () => {
  await run(async () => {
    const lock = new Lock();
    const order: string[] = [];
    await lock.acquire();
    const make = (name: string) =>
      createTask(async () => {
        await lock.acquire();
        order.push(name);
        lock.release();
      });
    const a = make("a");
    const b = make("b");
    const c = make("c");
    await yields();
    b.cancel();
    await yields();
    assertEquals(lock.toString(), "<Lock [locked, waiters:2]>");
    lock.release();
    await gather(a, c);
    assert((await errorOf(b)) instanceof CancelledError);
    assertEquals(order, ["a", "c"]);
    assertStrictEquals(lock.locked(), false);
  });
});

Deno.test("Lock: a waiter cancelled after it was woken passes the lock on", async () => {
  await run(async () => {
    const lock = new Lock();
    const order: string[] = [];
    await lock.acquire();
    const make = (name: string) =>
      createTask(async () => {
        await lock.acquire();
        order.push(name);
        lock.release();
      });
    const a = make("a");
    const b = make("b");
    await yields();
    lock.release(); // wakes a...
    a.cancel(); // ...which is cancelled before it runs
    await yields();
    assert(a.cancelled());
    assertEquals(order, ["b"]);
    await b;
    assertStrictEquals(lock.locked(), false);
  });
});

Deno.test("Lock: a newcomer may take the lock when every waiter was cancelled", async () => {
  await run(async () => {
    const lock = new Lock();
    await lock.acquire();
    const a = createTask(() => lock.acquire());
    await yields();
    a.cancel(); // its future is cancelled at once, still in the queue
    lock.release();
    assertStrictEquals(await lock.acquire(), true); // no wait
    assert((await errorOf(a)) instanceof CancelledError);
    assertStrictEquals(lock.locked(), true);
    lock.release();
  });
});

Deno.test("Lock: a newcomer waits behind a woken waiter (fairness)", async () => {
  await run(async () => {
    const lock = new Lock();
    const order: string[] = [];
    await lock.acquire();
    const a = createTask(async () => {
      await lock.acquire();
      order.push("a");
      lock.release();
    });
    await yields();
    lock.release(); // a is woken but has not run yet
    assertStrictEquals(lock.locked(), false);
    await lock.acquire(); // must not jump ahead of a
    order.push("main");
    lock.release();
    await a;
    assertEquals(order, ["a", "main"]);
  });
});

Deno.test("Lock: catch CancelledError and acquire again", async () => {
  await run(async () => {
    const lock = new Lock();
    await lock.acquire();
    const task = createTask(async () => {
      try {
        await lock.acquire();
        return "acquired";
      } catch (error) {
        assert(error instanceof CancelledError);
      }
      await lock.acquire();
      lock.release();
      return "acquired after cancel";
    });
    await yields();
    task.cancel();
    await yields();
    lock.release();
    assertStrictEquals(await task, "acquired after cancel");
    assertStrictEquals(lock.locked(), false);
  });
});

Deno.test("Lock: a task cancelled while running throws at the acquire it then waits in", async () => {
  await run(async () => {
    const lock = new Lock();
    await lock.acquire();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => release = resolve);
    const task = createTask(async () => {
      await gate; // a foreign promise: the cancellation waits for the next Future
      await lock.acquire();
    });
    await yields();
    task.cancel();
    release();
    assert((await errorOf(task)) instanceof CancelledError);
    lock.release();
    assertStrictEquals(lock.locked(), false);
    assertStrictEquals(await lock.acquire(), true);
    lock.release();
  });
});

Deno.test("Lock: bound to the loop of its first wait", async () => {
  const lock = new Lock();
  await run(async () => {
    await lock.acquire();
    const task = createTask(() => lock.acquire());
    await yields();
    lock.release();
    await task;
    lock.release();
  });
  await run(async () => {
    await lock.acquire(); // free: no future needed
    await assertRejects(() => lock.acquire(), RuntimeError);
    lock.release();
  });
});

// ---- Condition --------------------------------------------------------------

Deno.test("Condition: wait and notify need the lock (RuntimeError)", async () => {
  await run(async () => {
    const cond = new Condition();
    await assertRejects(() => cond.wait(), RuntimeError);
    assertThrows(() => cond.notify(), RuntimeError);
    assertThrows(() => cond.notifyAll(), RuntimeError);
    assertThrows(() => cond.release(), RuntimeError);
  });
});

Deno.test("Condition: the lock argument must be a Lock", () => {
  assertThrows(() => new Condition({} as Lock), TypeError);
});

Deno.test("Condition: notify(n) wakes waiters in FIFO order; notifyAll wakes the rest", async () => {
  await run(async () => {
    const cond = new Condition();
    const woke: number[] = [];
    const tasks = [0, 1, 2, 3, 4].map((i) =>
      createTask(async () => {
        await cond.acquire();
        using _ = cond;
        assertStrictEquals(await cond.wait(), true);
        assert(cond.locked()); // the lock is held again
        woke.push(i);
      })
    );
    await yields();
    assertEquals(cond.toString(), "<Condition [unlocked, waiters:5]>");
    await cond.acquire();
    cond.notify();
    cond.release();
    await yields();
    assertEquals(woke, [0]);
    await cond.acquire();
    cond.notify(2);
    cond.release();
    await yields();
    assertEquals(woke, [0, 1, 2]);
    await cond.acquire();
    cond.notifyAll();
    cond.release();
    await gather(...tasks);
    assertEquals(woke, [0, 1, 2, 3, 4]);
    assertStrictEquals(cond.locked(), false);
  });
});

Deno.test("Condition: a woken waiter returns only once the notifier releases the lock", async () => {
  await run(async () => {
    const cond = new Condition();
    let woke = false;
    const task = createTask(async () => {
      await cond.acquire();
      using _ = cond;
      await cond.wait();
      woke = true;
    });
    await yields();
    await cond.acquire();
    cond.notify();
    await yields();
    assertStrictEquals(woke, false);
    cond.release();
    await task;
    assertStrictEquals(woke, true);
  });
});

Deno.test("Condition: waitFor returns the predicate's value once it is truthy", async () => {
  await run(async () => {
    const cond = new Condition();
    const items: string[] = [];
    let checks = 0;
    const consumer = createTask(async () => {
      await cond.acquire();
      using _ = cond;
      return await cond.waitFor(() => {
        checks++;
        return items.length >= 2 && items.join("+");
      });
    });
    for (const item of ["x", "y"]) {
      await yields();
      await cond.acquire();
      items.push(item);
      cond.notifyAll();
      cond.release();
    }
    assertStrictEquals(await consumer, "x+y");
    assertStrictEquals(checks, 3);
    await cond.acquire();
    assertStrictEquals(await cond.waitFor(() => 7), 7); // true at once: no wait
    cond.release();
  });
});

Deno.test("Condition: a cancelled wait re-acquires the lock before throwing", async () => {
  await run(async () => {
    const cond = new Condition();
    let lockedInCatch: boolean | null = null;
    const task = createTask(async () => {
      await cond.acquire();
      try {
        await cond.wait();
      } catch (error) {
        lockedInCatch = cond.locked();
        throw error;
      } finally {
        cond.release();
      }
    });
    await yields();
    await cond.acquire(); // held by the main task: the cancelled wait must wait for it
    task.cancel("bye");
    await yields();
    assertStrictEquals(task.done(), false);
    cond.release();
    const error = await errorOf(task);
    assert(error instanceof CancelledError);
    assertStrictEquals(error.message, "bye");
    assertStrictEquals(lockedInCatch, true);
    assertStrictEquals(cond.locked(), false);
  });
});

Deno.test("Condition: cancelled while re-acquiring the lock, wait still holds it when it throws", async () => {
  await run(async () => {
    const cond = new Condition();
    let lockedInCatch: boolean | null = null;
    const task = createTask(async () => {
      await cond.acquire();
      try {
        await cond.wait();
      } catch (error) {
        lockedInCatch = cond.locked();
        throw error;
      } finally {
        cond.release();
      }
    });
    await yields();
    await cond.acquire();
    cond.notify();
    await yields(); // the task was notified and now waits for the lock
    task.cancel();
    await yields();
    assertStrictEquals(task.done(), false);
    cond.release();
    assert((await errorOf(task)) instanceof CancelledError);
    assertStrictEquals(lockedInCatch, true);
    assertStrictEquals(cond.locked(), false);
  });
});

Deno.test("Condition: a waiter cancelled after notify hands the notification on", async () => {
  await run(async () => {
    const cond = new Condition();
    const woke: string[] = [];
    const make = (name: string) =>
      createTask(async () => {
        await cond.acquire();
        using _ = cond;
        await cond.wait();
        woke.push(name);
      });
    const a = make("a");
    const b = make("b");
    const c = make("c");
    await yields();
    await cond.acquire();
    cond.notify(1); // a is notified...
    a.cancel(); // ...but cancelled before it runs
    cond.release();
    await yields(10);
    assert(a.cancelled());
    assertEquals(woke, ["b"]); // the notification went to b, not lost
    assertStrictEquals(c.done(), false);
    await cond.acquire();
    cond.notifyAll();
    cond.release();
    await gather(b, c);
    assertEquals(woke, ["b", "c"]);
  });
});

Deno.test("Condition: catch CancelledError from wait and wait again", async () => {
  await run(async () => {
    const cond = new Condition();
    const task = createTask(async () => {
      await cond.acquire();
      using _ = cond;
      try {
        await cond.wait();
      } catch (error) {
        assert(error instanceof CancelledError);
        assert(cond.locked());
      }
      await cond.wait();
      return "notified";
    });
    await yields();
    task.cancel();
    await yields();
    await cond.acquire();
    cond.notify();
    cond.release();
    assertStrictEquals(await task, "notified");
  });
});

Deno.test("Condition: two conditions may share one lock", async () => {
  await run(async () => {
    const lock = new Lock();
    const notEmpty = new Condition(lock);
    const notFull = new Condition(lock);
    const buffer: number[] = [];
    const got: number[] = [];
    const producer = createTask(async () => {
      for (let i = 0; i < 6; i++) {
        await notFull.acquire();
        using _ = notFull;
        await notFull.waitFor(() => buffer.length < 2);
        buffer.push(i);
        notEmpty.notify();
      }
    });
    const consumer = createTask(async () => {
      for (let i = 0; i < 6; i++) {
        await notEmpty.acquire();
        using _ = notEmpty;
        await notEmpty.waitFor(() => buffer.length > 0);
        got.push(buffer.shift()!);
        notFull.notify();
      }
    });
    await gather(producer, consumer);
    assertEquals(got, [0, 1, 2, 3, 4, 5]);
    assertStrictEquals(lock.locked(), false);
  });
});

Deno.test("Condition: locked, acquire and release go to the underlying lock", async () => {
  await run(async () => {
    const lock = new Lock();
    const cond = new Condition(lock);
    await cond.acquire();
    assertStrictEquals(lock.locked(), true);
    lock.release();
    assertStrictEquals(cond.locked(), false);
    {
      await cond.acquire();
      using _ = cond;
      assertStrictEquals(lock.locked(), true);
    }
    assertStrictEquals(lock.locked(), false);
  });
});

// ---- Semaphore --------------------------------------------------------------

Deno.test("Semaphore: initial value, locked, acquire and release", async () => {
  await run(async () => {
    const sem = new Semaphore(2);
    assertStrictEquals(sem.locked(), false);
    assertEquals(sem.toString(), "<Semaphore [unlocked, value:2]>");
    assertStrictEquals(await sem.acquire(), true);
    assertStrictEquals(sem.locked(), false);
    await sem.acquire();
    assertStrictEquals(sem.locked(), true);
    assertEquals(sem.toString(), "<Semaphore [locked]>");
    sem.release();
    sem.release();
    sem.release(); // a plain Semaphore may go above its initial value
    assertEquals(sem.toString(), "<Semaphore [unlocked, value:3]>");
    assertStrictEquals(new Semaphore().locked(), false);
    assertStrictEquals(new Semaphore(0).locked(), true);
  });
});

Deno.test("Semaphore: a negative or non-integer value throws RangeError", () => {
  assertThrows(() => new Semaphore(-1), RangeError);
  assertThrows(() => new Semaphore(1.5), RangeError);
  assertThrows(() => new Semaphore("2" as unknown as number), TypeError);
});

Deno.test("Semaphore: waiters are served in FIFO order", async () => {
  await run(async () => {
    const sem = new Semaphore(0);
    const order: number[] = [];
    const tasks = [0, 1, 2, 3].map((i) =>
      createTask(async () => {
        await sem.acquire();
        order.push(i);
      })
    );
    await yields();
    sem.release();
    await yields();
    assertEquals(order, [0]);
    sem.release();
    sem.release();
    sem.release();
    await gather(...tasks);
    assertEquals(order, [0, 1, 2, 3]);
    assertStrictEquals(sem.locked(), true);
  });
});

Deno.test("Semaphore: a newcomer waits behind woken waiters even when the value is above 0", async () => {
  await run(async () => {
    const sem = new Semaphore(0);
    const order: string[] = [];
    const make = (name: string) =>
      createTask(async () => {
        await sem.acquire();
        order.push(name);
      });
    const a = make("a");
    const b = make("b");
    await yields();
    sem.release(); // wakes a
    sem.release(); // wakes b
    sem.release(); // nobody left to wake: the value is 1
    assertStrictEquals(sem.locked(), true); // a and b have not run yet
    await sem.acquire(); // waits for a and b to go first
    order.push("main");
    await gather(a, b);
    assertEquals(order, ["a", "b", "main"]);
    assertStrictEquals(sem.locked(), true);
  });
});

Deno.test("Semaphore: bounds concurrency", async () => {
  await run(async () => {
    const sem = new Semaphore(3);
    let running = 0;
    let most = 0;
    const job = async () => {
      await sem.acquire();
      using _ = sem;
      running++;
      most = Math.max(most, running);
      await yields(2);
      running--;
    };
    await gather(...Array.from({ length: 12 }, () => () => job()));
    assertStrictEquals(most, 3);
    assertEquals(sem.toString(), "<Semaphore [unlocked, value:3]>");
  });
});

Deno.test("Semaphore: a cancelled waiter leaves the queue", async () => {
  await run(async () => {
    const sem = new Semaphore(0);
    const order: string[] = [];
    const make = (name: string) =>
      createTask(async () => {
        await sem.acquire();
        order.push(name);
      });
    const a = make("a");
    const b = make("b");
    const c = make("c");
    await yields();
    a.cancel();
    await yields();
    assertStrictEquals(sem.toString(), "<Semaphore [locked, waiters:2]>");
    sem.release();
    sem.release();
    await gather(b, c);
    assert(a.cancelled());
    assertEquals(order, ["b", "c"]);
    assertStrictEquals(sem.locked(), true);
    sem.release();
    assertStrictEquals(sem.locked(), false);
  });
});

Deno.test("Semaphore: a waiter cancelled after it was woken gives its unit to the next", async () => {
  await run(async () => {
    const sem = new Semaphore(0);
    const order: string[] = [];
    const make = (name: string) =>
      createTask(async () => {
        await sem.acquire();
        order.push(name);
      });
    const a = make("a");
    const b = make("b");
    const c = make("c");
    await yields();
    sem.release(); // wakes a...
    a.cancel(); // ...which is cancelled before it runs
    await yields();
    assert(a.cancelled());
    assertEquals(order, ["b"]);
    await b;
    assertStrictEquals(c.done(), false);
    sem.release();
    await c;
    assertEquals(order, ["b", "c"]);
    assertStrictEquals(sem.locked(), true); // the value is 0 again: nothing leaked
    sem.release();
    assertEquals(sem.toString(), "<Semaphore [unlocked, value:1]>");
  });
});

Deno.test("Semaphore: catch CancelledError and acquire again", async () => {
  await run(async () => {
    const sem = new Semaphore(0);
    const task = createTask(async () => {
      try {
        await sem.acquire();
      } catch (error) {
        assert(error instanceof CancelledError);
      }
      await sem.acquire();
      return "acquired";
    });
    await yields();
    task.cancel();
    await yields();
    sem.release();
    assertStrictEquals(await task, "acquired");
    assertStrictEquals(sem.locked(), true);
  });
});

Deno.test("Semaphore: bound to the loop of its first wait", async () => {
  const sem = new Semaphore(0);
  await run(async () => {
    const task = createTask(() => sem.acquire());
    await yields();
    sem.release();
    await task;
  });
  await run(async () => {
    await assertRejects(() => sem.acquire(), RuntimeError);
  });
});

// ---- BoundedSemaphore -------------------------------------------------------

Deno.test("BoundedSemaphore: releasing above the initial value throws RangeError", async () => {
  await run(async () => {
    const sem = new BoundedSemaphore(2);
    assert(sem instanceof Semaphore);
    assertThrows(() => sem.release(), RangeError);
    await sem.acquire();
    await sem.acquire();
    assertStrictEquals(sem.locked(), true);
    sem.release();
    sem.release();
    assertThrows(() => sem.release(), RangeError);
    assertEquals(sem.toString(), "<BoundedSemaphore [unlocked, value:2]>");
    assertThrows(() => new BoundedSemaphore().release(), RangeError);
    assertThrows(() => new BoundedSemaphore(-1), RangeError);
  });
});

Deno.test("BoundedSemaphore: the using form and waiters", async () => {
  await run(async () => {
    const sem = new BoundedSemaphore(1);
    const order: number[] = [];
    const job = (i: number) => async () => {
      await sem.acquire();
      using _ = sem;
      order.push(i);
      await sleep(0);
    };
    await gather(job(0), job(1), job(2));
    assertEquals(order, [0, 1, 2]);
    assertThrows(() => sem.release(), RangeError);
  });
});

// ---- Barrier ----------------------------------------------------------------

Deno.test("Barrier: parties must be at least 1", () => {
  assertThrows(() => new Barrier(0), RangeError);
  assertThrows(() => new Barrier(-3), RangeError);
  assertThrows(() => new Barrier(NaN), RangeError);
  assertThrows(() => new Barrier(1.5), RangeError);
  assertThrows(() => new Barrier("2" as unknown as number), TypeError);
  assertStrictEquals(new Barrier(4).parties, 4);
});

Deno.test("Barrier: n tasks pass together, each with a distinct index", async () => {
  await run(async () => {
    const n = 5;
    const barrier = new Barrier(n);
    const passed: number[] = [];
    const tasks: Task<number>[] = [];
    for (let i = 0; i < n - 1; i++) {
      tasks.push(createTask(async () => {
        const index = await barrier.wait();
        passed.push(index);
        return index;
      }));
      await yields();
      assertStrictEquals(barrier.nWaiting, i + 1);
      assertEquals(passed, []);
    }
    assertEquals(barrier.toString(), `<Barrier [filling, waiters:${n - 1}/${n}]>`);
    const last = await barrier.wait();
    assertStrictEquals(last, n - 1); // the last to arrive
    const indices = await gather(...tasks);
    assertEquals([...indices, last].sort(), [0, 1, 2, 3, 4]);
    assertStrictEquals(barrier.nWaiting, 0);
    assertStrictEquals(barrier.broken, false);
    assertEquals(barrier.toString(), `<Barrier [filling, waiters:0/${n}]>`);
  });
});

Deno.test("Barrier: a barrier of one never waits", async () => {
  await run(async () => {
    const barrier = new Barrier(1);
    assertStrictEquals(await barrier.wait(), 0);
    assertStrictEquals(await barrier.wait(), 0);
  });
});

Deno.test("Barrier: it cycles, and tasks of the next round wait for the drain", async () => {
  await run(async () => {
    const parties = 3;
    const barrier = new Barrier(parties);
    const rounds: number[][] = [[], [], []];
    const worker = async () => {
      for (let round = 0; round < 3; round++) {
        rounds[round].push(await barrier.wait());
      }
    };
    await gather(() => worker(), () => worker(), () => worker());
    for (const indices of rounds) assertEquals(indices.sort(), [0, 1, 2]);
    // Twice the parties at once: two full passes.
    const indices = await gather(...Array.from({ length: 6 }, () => () => barrier.wait()));
    assertEquals(indices.sort(), [0, 0, 1, 1, 2, 2]);
  });
});

Deno.test("Barrier: reset makes the waiters throw BrokenBarrierError; then it works again", async () => {
  await run(async () => {
    const barrier = new Barrier(3);
    const a = createTask(() => barrier.wait());
    const b = createTask(() => barrier.wait());
    await yields();
    assertStrictEquals(barrier.nWaiting, 2);
    await barrier.reset();
    assert((await errorOf(a)) instanceof BrokenBarrierError);
    assert((await errorOf(b)) instanceof BrokenBarrierError);
    assertStrictEquals(barrier.broken, false);
    assertStrictEquals(barrier.nWaiting, 0);
    const indices = await gather(
      () => barrier.wait(),
      () => barrier.wait(),
      () => barrier.wait(),
    );
    assertEquals(indices.sort(), [0, 1, 2]);
    await barrier.reset(); // nobody waits: back to filling at once
    assertStrictEquals(barrier.nWaiting, 0);
  });
});

Deno.test("Barrier: a task arriving during a reset waits for it to finish", async () => {
  await run(async () => {
    const barrier = new Barrier(2);
    const a = createTask(() => barrier.wait());
    await yields();
    const resetting = createTask(() => barrier.reset());
    const c = createTask(() => barrier.wait()); // arrives while a still leaves
    await resetting;
    assert((await errorOf(a)) instanceof BrokenBarrierError);
    const d = createTask(() => barrier.wait());
    assertEquals((await gather(c, d)).sort(), [0, 1]);
  });
});

Deno.test("Barrier: abort breaks it for the waiters and later calls until reset", async () => {
  await run(async () => {
    const barrier = new Barrier(3);
    const a = createTask(() => barrier.wait());
    const b = createTask(() => barrier.wait());
    await yields();
    await barrier.abort();
    assertStrictEquals(barrier.broken, true);
    assertEquals(barrier.toString(), "<Barrier [broken]>");
    assert((await errorOf(a)) instanceof BrokenBarrierError);
    assert((await errorOf(b)) instanceof BrokenBarrierError);
    assertStrictEquals(barrier.nWaiting, 0);
    await assertRejects(() => barrier.wait(), BrokenBarrierError);
    const error = await barrier.wait().catch((e) => e);
    assert(error instanceof RuntimeError); // BrokenBarrierError is a RuntimeError
    await barrier.reset();
    assertStrictEquals(barrier.broken, false);
    const indices = await gather(
      () => barrier.wait(),
      () => barrier.wait(),
      () => barrier.wait(),
    );
    assertEquals(indices.sort(), [0, 1, 2]);
  });
});

Deno.test("Barrier: a cancelled waiter leaves; the barrier still trips with others", async () => {
  await run(async () => {
    const barrier = new Barrier(3);
    const a = createTask(() => barrier.wait());
    const b = createTask(() => barrier.wait());
    await yields();
    assertStrictEquals(barrier.nWaiting, 2);
    b.cancel();
    assert((await errorOf(b)) instanceof CancelledError);
    assertStrictEquals(barrier.nWaiting, 1);
    const c = createTask(() => barrier.wait());
    const d = createTask(() => barrier.wait());
    const [ia, ic, id] = await gather(a, c, d);
    assertStrictEquals(ia, 0);
    assertEquals([ic, id].sort(), [1, 2]);
    assertStrictEquals(barrier.broken, false);
    assertStrictEquals(barrier.nWaiting, 0);
  });
});

Deno.test("Barrier: many parties across several rounds", async () => {
  await run(async () => {
    const parties = 20;
    const barrier = new Barrier(parties);
    let phase = 0;
    const seenPhases: number[] = [];
    const worker = async () => {
      for (let round = 0; round < 5; round++) {
        seenPhases.push(phase);
        const index = await barrier.wait();
        if (index === parties - 1) phase++;
        await sleep(0);
      }
    };
    await gather(...Array.from({ length: parties }, () => () => worker()));
    assertStrictEquals(phase, 5);
    // Every task saw every phase, in order: no task ran ahead of a round.
    for (let round = 0; round < 5; round++) {
      assertEquals(
        seenPhases.slice(round * parties, (round + 1) * parties),
        Array(parties).fill(round),
      );
    }
  });
});
