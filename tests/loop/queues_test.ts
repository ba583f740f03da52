// Queues: Queue, PriorityQueue and LifoQueue, with FIFO service of waiting
// tasks, cancellation that loses no item and no slot, join/taskDone and
// Python 3.13's shutdown.
import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "../deps.ts";
import {
  CancelledError,
  createTask,
  gather,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  run,
  RuntimeError,
  sleep,
  type Task,
} from "../../mod.ts";
import { LifoQueue, PriorityQueue, Queue } from "../../loop/queues.ts";

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

function drain<T>(queue: Queue<T>): T[] {
  const items: T[] = [];
  while (!queue.empty()) items.push(queue.getNowait());
  return items;
}

// ---- basics -------------------------------------------------------------------

Deno.test("Queue: maxsize, qsize, empty and full", async () => {
  await run(async () => {
    const unbounded = new Queue<number>();
    assertStrictEquals(unbounded.maxsize, 0);
    for (let i = 0; i < 1000; i++) unbounded.putNowait(i);
    assertStrictEquals(unbounded.full(), false);
    assertStrictEquals(unbounded.qsize(), 1000);

    const queue = new Queue<string>(2);
    assertStrictEquals(queue.maxsize, 2);
    assertStrictEquals(queue.empty(), true);
    assertStrictEquals(queue.full(), false);
    await queue.put("a");
    assertStrictEquals(queue.empty(), false);
    assertStrictEquals(queue.qsize(), 1);
    await queue.put("b");
    assertStrictEquals(queue.full(), true);
    assertStrictEquals(queue.qsize(), 2);
    assertEquals(queue.toString(), "<Queue maxsize=2 qsize=2 tasks=2>");

    assertStrictEquals(new Queue(-1).full(), false); // no limit
  });
});

Deno.test("Queue: items come out first in, first out", async () => {
  await run(async () => {
    const queue = new Queue<number>();
    for (let i = 0; i < 5; i++) await queue.put(i);
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push(await queue.get());
    assertEquals(got, [0, 1, 2, 3, 4]);
    // Interleaved puts and gets wrap the ring buffer around many times.
    const expected: number[] = [];
    const seen: number[] = [];
    let next = 0;
    for (let round = 0; round < 200; round++) {
      for (let k = 0; k < (round % 7) + 1; k++) {
        queue.putNowait(next);
        expected.push(next++);
      }
      for (let k = 0; k < (round % 5) + 1 && !queue.empty(); k++) seen.push(queue.getNowait());
    }
    seen.push(...drain(queue));
    assertEquals(seen, expected);
  });
});

Deno.test("Queue: putNowait on a full queue throws QueueFull; getNowait on an empty one QueueEmpty", () => {
  const queue = new Queue<number>(1);
  assertThrows(() => queue.getNowait(), QueueEmpty);
  queue.putNowait(1);
  assertThrows(() => queue.putNowait(2), QueueFull);
  assertStrictEquals(queue.qsize(), 1);
  assertStrictEquals(queue.getNowait(), 1);
  assertThrows(() => queue.getNowait(), QueueEmpty);
});

Deno.test("Queue: maxsize must be a number", () => {
  assertThrows(() => new Queue("3" as unknown as number), TypeError);
  assertThrows(() => new Queue(NaN), RangeError);
});

Deno.test("Queue: get waits for a put; getters are served in FIFO order", async () => {
  await run(async () => {
    const queue = new Queue<string>();
    const got: string[] = [];
    const getters = [0, 1, 2].map((i) =>
      createTask(async () => {
        got.push(`${i}:${await queue.get()}`);
      })
    );
    await yields();
    assertEquals(got, []);
    assertEquals(queue.toString(), "<Queue maxsize=0 qsize=0 getters[3]>");
    queue.putNowait("a");
    await yields();
    assertEquals(got, ["0:a"]);
    queue.putNowait("b");
    queue.putNowait("c");
    await gather(...getters);
    assertEquals(got, ["0:a", "1:b", "2:c"]);
  });
});

Deno.test("Queue: put waits while full; putters are served in FIFO order", async () => {
  await run(async () => {
    const queue = new Queue<number>(1);
    await queue.put(0);
    const putters = [1, 2, 3].map((i) => createTask(() => queue.put(i)));
    await yields();
    assertEquals(queue.toString(), "<Queue maxsize=1 qsize=1 putters[3] tasks=1>");
    const got: number[] = [];
    for (let i = 0; i < 4; i++) got.push(await queue.get());
    await gather(...putters);
    assertEquals(got, [0, 1, 2, 3]);
    assertStrictEquals(queue.empty(), true);
  });
});

Deno.test("Queue: a bounded queue between producers and consumers loses nothing", async () => {
  await run(async () => {
    const queue = new Queue<[number, number]>(3);
    const perProducer = 500;
    const received: [number, number][][] = [[], [], [], []];
    const producers = [0, 1, 2, 3].map((p) =>
      createTask(async () => {
        for (let i = 0; i < perProducer; i++) await queue.put([p, i]);
      })
    );
    const consumers = [0, 1, 2, 3].map((c) =>
      createTask(async () => {
        for (;;) {
          const item = await queue.get();
          if (item[0] < 0) return;
          received[c].push(item);
          queue.taskDone();
          if (item[1] % 3 === 0) await sleep(0);
        }
      })
    );
    await gather(...producers);
    await queue.join();
    for (let i = 0; i < 4; i++) await queue.put([-1, -1]);
    await gather(...consumers);
    const all = received.flat();
    assertStrictEquals(all.length, 4 * perProducer);
    for (let p = 0; p < 4; p++) {
      // Each producer's items arrive in order (each consumer sees a subsequence).
      for (const list of received) {
        const mine = list.filter(([q]) => q === p).map(([, i]) => i);
        assertEquals(mine, [...mine].sort((a, b) => a - b));
      }
      const count = all.filter(([q]) => q === p).length;
      assertStrictEquals(count, perProducer);
    }
  });
});

// ---- cancellation ---------------------------------------------------------------

Deno.test("Queue: a cancelled getter leaves the queue of getters", async () => {
  await run(async () => {
    const queue = new Queue<string>();
    const got: string[] = [];
    const make = (name: string) =>
      createTask(async () => {
        got.push(`${name}:${await queue.get()}`);
      });
    const a = make("a");
    const b = make("b");
    const c = make("c");
    await yields();
    b.cancel();
    assert((await errorOf(b)) instanceof CancelledError);
    assertEquals(queue.toString(), "<Queue maxsize=0 qsize=0 getters[2]>");
    queue.putNowait("x");
    queue.putNowait("y");
    await gather(a, c);
    assertEquals(got, ["a:x", "c:y"]);
  });
});

Deno.test("Queue: a getter cancelled after a put woke it passes the item on", async () => {
  await run(async () => {
    const queue = new Queue<string>();
    const got: string[] = [];
    const make = (name: string) =>
      createTask(async () => {
        got.push(`${name}:${await queue.get()}`);
      });
    const a = make("a");
    const b = make("b");
    await yields();
    queue.putNowait("x"); // wakes a...
    a.cancel(); // ...which is cancelled before it runs
    await b;
    assert(a.cancelled());
    assertEquals(got, ["b:x"]); // the item went to b, not lost
    assertStrictEquals(queue.empty(), true);
  });
});

Deno.test("Queue: a cancelled get with no other getter leaves the item in the queue", async () => {
  await run(async () => {
    const queue = new Queue<number>();
    const a = createTask(() => queue.get());
    await yields();
    queue.putNowait(1);
    a.cancel();
    assert((await errorOf(a)) instanceof CancelledError);
    assertStrictEquals(queue.qsize(), 1);
    assertStrictEquals(await queue.get(), 1);
  });
});

Deno.test("Queue: catch CancelledError from get and get again", async () => {
  await run(async () => {
    const queue = new Queue<number>();
    const task = createTask(async () => {
      try {
        await queue.get();
      } catch (error) {
        assert(error instanceof CancelledError);
      }
      return await queue.get();
    });
    await yields();
    task.cancel();
    await yields();
    queue.putNowait(7);
    assertStrictEquals(await task, 7);
  });
});

Deno.test("Queue: a cancelled putter leaves; its item is never put", async () => {
  await run(async () => {
    const queue = new Queue<string>(1);
    queue.putNowait("first");
    const a = createTask(() => queue.put("a"));
    const b = createTask(() => queue.put("b"));
    const c = createTask(() => queue.put("c"));
    await yields();
    b.cancel();
    assert((await errorOf(b)) instanceof CancelledError);
    assertEquals(queue.toString(), "<Queue maxsize=1 qsize=1 putters[2] tasks=1>");
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push(await queue.get());
    await gather(a, c);
    assertEquals(got, ["first", "a", "c"]);
  });
});

Deno.test("Queue: a putter cancelled after a get woke it passes the free slot on", async () => {
  await run(async () => {
    const queue = new Queue<string>(1);
    queue.putNowait("first");
    const a = createTask(() => queue.put("a"));
    const b = createTask(() => queue.put("b"));
    await yields();
    assertStrictEquals(queue.getNowait(), "first"); // wakes a...
    a.cancel(); // ...which is cancelled before it runs
    await b;
    assert(a.cancelled());
    assertEquals(drain(queue), ["b"]);
  });
});

Deno.test("Queue: bound to the loop of its first wait", async () => {
  const queue = new Queue<number>();
  await run(async () => {
    const task = createTask(() => queue.get());
    await yields();
    queue.putNowait(1);
    assertStrictEquals(await task, 1);
  });
  await run(async () => {
    queue.putNowait(2);
    assertStrictEquals(await queue.get(), 2); // an item is there: no future needed
    await assertRejects(() => queue.get(), RuntimeError);
  });
});

// ---- join and taskDone ------------------------------------------------------------

Deno.test("Queue: join waits until taskDone was called for every item", async () => {
  await run(async () => {
    const queue = new Queue<number>();
    await queue.join(); // nothing put: at once
    for (let i = 0; i < 3; i++) queue.putNowait(i);
    let joined = false;
    const joiner = createTask(async () => {
      await queue.join();
      joined = true;
    });
    for (let i = 0; i < 3; i++) {
      await queue.get();
      await yields();
      assertStrictEquals(joined, false); // got but not done
      queue.taskDone();
    }
    await joiner;
    assertStrictEquals(joined, true);
    await queue.join();
  });
});

Deno.test("Queue: several joiners are released together", async () => {
  await run(async () => {
    const queue = new Queue<number>();
    queue.putNowait(1);
    const joiners = [0, 1, 2].map(() => createTask(() => queue.join()));
    await yields();
    queue.getNowait();
    queue.taskDone();
    await gather(...joiners);
    assert(joiners.every((task) => task.done() && !task.cancelled()));
  });
});

Deno.test("Queue: taskDone called too many times throws RangeError", () => {
  const queue = new Queue<number>();
  assertThrows(() => queue.taskDone(), RangeError);
  queue.putNowait(1);
  queue.getNowait();
  queue.taskDone();
  assertThrows(() => queue.taskDone(), RangeError);
});

Deno.test("Queue: a cancelled join leaves the count alone", async () => {
  await run(async () => {
    const queue = new Queue<number>();
    queue.putNowait(1);
    const joiner = createTask(() => queue.join());
    await yields();
    joiner.cancel();
    assert((await errorOf(joiner)) instanceof CancelledError);
    const again = createTask(() => queue.join());
    await yields();
    assertStrictEquals(again.done(), false);
    queue.getNowait();
    queue.taskDone();
    await again;
  });
});

// ---- shutdown -------------------------------------------------------------------

Deno.test("Queue: after shutdown, puts throw QueueShutDown and gets drain then throw", async () => {
  await run(async () => {
    const queue = new Queue<number>();
    queue.putNowait(1);
    queue.putNowait(2);
    queue.shutdown();
    assertEquals(queue.toString(), "<Queue maxsize=0 qsize=2 tasks=2 shutdown>");
    assertThrows(() => queue.putNowait(3), QueueShutDown);
    await assertRejects(() => queue.put(3), QueueShutDown);
    assertStrictEquals(await queue.get(), 1);
    assertStrictEquals(queue.getNowait(), 2);
    assertThrows(() => queue.getNowait(), QueueShutDown);
    await assertRejects(() => queue.get(), QueueShutDown);
    // The items got can still be marked done.
    queue.taskDone();
    queue.taskDone();
    await queue.join();
    queue.shutdown(); // twice is fine
  });
});

Deno.test("Queue: shutdown wakes the waiting getters with QueueShutDown", async () => {
  await run(async () => {
    const queue = new Queue<number>();
    const getters = [0, 1, 2].map(() => createTask(() => queue.get()));
    await yields();
    queue.shutdown();
    for (const getter of getters) assert((await errorOf(getter)) instanceof QueueShutDown);
    assertEquals(queue.toString(), "<Queue maxsize=0 qsize=0 shutdown>");
  });
});

Deno.test("Queue: shutdown wakes the waiting putters with QueueShutDown; their items are not put", async () => {
  await run(async () => {
    const queue = new Queue<number>(1);
    queue.putNowait(0);
    const putters = [1, 2].map((i) => createTask(() => queue.put(i)));
    await yields();
    queue.shutdown();
    for (const putter of putters) assert((await errorOf(putter)) instanceof QueueShutDown);
    assertEquals(drain(queue), [0]);
    assertThrows(() => queue.getNowait(), QueueShutDown);
  });
});

Deno.test("Queue: shutdown(true) drops the items, counts them done and fails gets at once", async () => {
  await run(async () => {
    const queue = new Queue<number>(5);
    for (let i = 0; i < 4; i++) queue.putNowait(i);
    assertStrictEquals(queue.getNowait(), 0); // got, not yet done
    const joiner = createTask(() => queue.join());
    await yields();
    queue.shutdown(true);
    assertStrictEquals(queue.qsize(), 0);
    await assertRejects(() => queue.get(), QueueShutDown);
    assertThrows(() => queue.getNowait(), QueueShutDown);
    await yields();
    assertStrictEquals(joiner.done(), false); // the item got is still pending
    queue.taskDone();
    await joiner;
    assertThrows(() => queue.taskDone(), RangeError);
  });
});

Deno.test("Queue: shutdown(true) releases join when nothing else is pending", async () => {
  await run(async () => {
    const queue = new Queue<number>();
    for (let i = 0; i < 3; i++) queue.putNowait(i);
    const joiner = createTask(() => queue.join());
    const getter = createTask(async () => {
      await queue.join();
      return await queue.get();
    });
    await yields();
    queue.shutdown(true);
    await joiner;
    assert((await errorOf(getter)) instanceof QueueShutDown);
  });
});

Deno.test("Queue: consumers stop with QueueShutDown once a shut-down queue is drained", async () => {
  await run(async () => {
    const queue = new Queue<number>(2);
    const got: number[] = [];
    const consumers = [0, 1].map(() =>
      createTask(async () => {
        try {
          for (;;) {
            got.push(await queue.get());
            queue.taskDone();
          }
        } catch (error) {
          if (!(error instanceof QueueShutDown)) throw error;
          return "shut down";
        }
      })
    );
    for (let i = 0; i < 10; i++) await queue.put(i);
    queue.shutdown();
    assertEquals(await gather(...consumers), ["shut down", "shut down"]);
    assertEquals(got.sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await queue.join();
  });
});

// ---- PriorityQueue and LifoQueue ----------------------------------------------

Deno.test("PriorityQueue: numbers come out lowest first", async () => {
  await run(async () => {
    const queue = new PriorityQueue<number>();
    assert(queue instanceof Queue);
    const values = [5, 3, 9, 1, 1, 7, 0, -2, 8, 3.5];
    for (const v of values) await queue.put(v);
    const got: number[] = [];
    while (!queue.empty()) got.push(await queue.get());
    assertEquals(got, [...values].sort((a, b) => a - b));
  });
});

Deno.test("PriorityQueue: [priority, item] entries order like Python tuples", async () => {
  await run(async () => {
    const queue = new PriorityQueue<[number, string]>();
    const entries: [number, string][] = [
      [2, "b"],
      [1, "z"],
      [2, "a"],
      [0, "m"],
      [1, "y"],
    ];
    for (const entry of entries) await queue.put(entry);
    assertEquals(drain(queue), [[0, "m"], [1, "y"], [1, "z"], [2, "a"], [2, "b"]]);

    // A shorter array that is a prefix comes first, as in Python.
    const arrays = new PriorityQueue<number[]>();
    for (const v of [[1, 2, 3], [1, 2], [1], [0, 9], [1, 2, 3, [] as never]]) arrays.putNowait(v);
    assertEquals(drain(arrays), [[0, 9], [1], [1, 2], [1, 2, 3], [1, 2, 3, []]]);

    // Numbers and bigints compare with each other.
    const numbers = new PriorityQueue<number | bigint>();
    for (const v of [10n, 3, 2n, 2.5, -1n]) numbers.putNowait(v);
    assertEquals(drain(numbers), [-1n, 2n, 2.5, 3, 10n]);
  });
});

Deno.test("PriorityQueue: strings order by code unit; booleans count as 0 and 1", () => {
  const words = new PriorityQueue<string>();
  for (const w of ["pear", "apple", "Zebra", "apricot", ""]) words.putNowait(w);
  assertEquals(drain(words), ["", "Zebra", "apple", "apricot", "pear"]);
  const flags = new PriorityQueue<number | boolean>();
  for (const v of [true, 0.5, false, 2]) flags.putNowait(v);
  assertEquals(drain(flags), [false, 0.5, true, 2]);
});

Deno.test("PriorityQueue: values with no order throw TypeError and are not put", () => {
  const queue = new PriorityQueue<unknown>();
  queue.putNowait([1, "a"]);
  queue.putNowait([3, "c"]);
  assertThrows(() => queue.putNowait([1, { data: 1 }]), TypeError); // like Python's tuples
  assertThrows(() => queue.putNowait("text"), TypeError);
  assertStrictEquals(queue.qsize(), 2);
  queue.putNowait([2, "b"]);
  assertEquals(drain(queue), [[1, "a"], [2, "b"], [3, "c"]]);
  queue.taskDone();
  queue.taskDone();
  queue.taskDone();
  assertThrows(() => queue.taskDone(), RangeError); // the refused puts were not counted
});

Deno.test("PriorityQueue: a compare option gives another order", async () => {
  await run(async () => {
    interface Job {
      name: string;
      priority: number;
    }
    const queue = new PriorityQueue<Job>(0, { compare: (a, b) => b.priority - a.priority });
    for (const [name, priority] of [["low", 1], ["high", 9], ["mid", 5]] as const) {
      await queue.put({ name, priority });
    }
    const names: string[] = [];
    while (!queue.empty()) names.push((await queue.get()).name);
    assertEquals(names, ["high", "mid", "low"]);
    assertThrows(
      () => new PriorityQueue(0, { compare: 1 as unknown as () => number }),
      TypeError,
    );
  });
});

Deno.test("PriorityQueue: a large random workload comes out sorted", () => {
  const queue = new PriorityQueue<number>();
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const reference: number[] = [];
  for (let step = 0; step < 5000; step++) {
    if (reference.length === 0 || random() < 0.6) {
      const v = Math.floor(random() * 1000);
      queue.putNowait(v);
      reference.push(v);
    } else {
      reference.sort((a, b) => a - b);
      assertStrictEquals(queue.getNowait(), reference.shift());
    }
  }
  reference.sort((a, b) => a - b);
  assertEquals(drain(queue), reference);
});

Deno.test("PriorityQueue: maxsize, waiting getters and shutdown work as for Queue", async () => {
  await run(async () => {
    const queue = new PriorityQueue<number>(2);
    const getter = createTask(() => queue.get());
    await yields();
    await queue.put(5);
    assertStrictEquals(await getter, 5);
    await queue.put(4);
    await queue.put(3);
    assertThrows(() => queue.putNowait(1), QueueFull);
    const putter = createTask(() => queue.put(1));
    await yields();
    assertStrictEquals(await queue.get(), 3);
    await putter;
    assertEquals(drain(queue), [1, 4]);
    queue.shutdown();
    await assertRejects(() => queue.get(), QueueShutDown);
  });
});

Deno.test("LifoQueue: the most recent item comes out first", async () => {
  await run(async () => {
    const queue = new LifoQueue<number>(3);
    assert(queue instanceof Queue);
    for (const v of [1, 2, 3]) await queue.put(v);
    assertStrictEquals(queue.full(), true);
    assertStrictEquals(await queue.get(), 3);
    await queue.put(4);
    assertEquals(drain(queue), [4, 2, 1]);
    const getter = createTask(() => queue.get());
    await yields();
    queue.putNowait(9);
    assertStrictEquals(await getter, 9);
    assertEquals(queue.toString(), "<LifoQueue maxsize=3 qsize=0 tasks=5>");
    queue.putNowait(1);
    queue.shutdown(true);
    assertStrictEquals(queue.qsize(), 0);
  });
});
