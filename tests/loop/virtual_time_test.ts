import {
  createTask,
  gather,
  getRunningLoop,
  newEventLoop,
  run,
  sleep,
  VirtualTimeEventLoop,
} from "../../mod.ts";
import { assert, assertEquals, assertRejects } from "../deps.ts";

Deno.test("VirtualTimeEventLoop: an hour of sleeping takes no real time", async () => {
  const started = performance.now();
  const at = await run(async () => {
    await sleep(3600);
    return getRunningLoop().time();
  }, { loopFactory: () => new VirtualTimeEventLoop() });
  assertEquals(at, 3600);
  assert(performance.now() - started < 1000);
});

Deno.test("VirtualTimeEventLoop: timers fire in deadline order at their exact times", async () => {
  const loop = new VirtualTimeEventLoop();
  const fired: [string, number][] = [];
  loop.callLater(3, () => fired.push(["c", loop.time()]));
  loop.callLater(1, () => fired.push(["a", loop.time()]));
  loop.callLater(2, () => fired.push(["b", loop.time()]));
  loop.callLater(2, () => fired.push(["b2", loop.time()]));
  loop.callLater(4, () => loop.stop());
  await loop.runForever();
  loop.close();
  assertEquals(fired, [["a", 1], ["b", 2], ["b2", 2], ["c", 3]]);
});

Deno.test("VirtualTimeEventLoop: concurrent sleepers interleave deterministically", async () => {
  const log = await run(async () => {
    const loop = getRunningLoop();
    const log: string[] = [];
    const sleeper = async (name: string, step: number) => {
      for (let i = 0; i < 3; i++) {
        await sleep(step);
        log.push(`${name}@${loop.time()}`);
      }
    };
    await gather(() => sleeper("x", 2), () => sleeper("y", 3));
    return log;
  }, { loopFactory: () => new VirtualTimeEventLoop() });
  // At 6 both are due: y's timer was scheduled first (at 3, x's at 4).
  assertEquals(log, ["x@2", "y@3", "x@4", "y@6", "x@6", "y@9"]);
});

Deno.test("VirtualTimeEventLoop: advance() moves the clock and runs what became due", async () => {
  const loop = new VirtualTimeEventLoop();
  const fired: number[] = [];
  loop.callLater(10, () => fired.push(loop.time()));
  await loop.runUntilComplete(async () => {
    getRunningLoop();
    (loop as VirtualTimeEventLoop).advance(20);
    await sleep(0);
    await sleep(0);
  });
  loop.close();
  assertEquals(fired, [20]);
  assert(() => loop.advance(-1));
});

Deno.test("VirtualTimeEventLoop: advance() refuses a negative or non-number step", () => {
  const loop = new VirtualTimeEventLoop();
  try {
    let threw = 0;
    for (const bad of [-1, NaN, "1"]) {
      try {
        loop.advance(bad as number);
      } catch (e) {
        if (e instanceof RangeError) threw++;
      }
    }
    assertEquals(threw, 3);
  } finally {
    loop.close();
  }
});

Deno.test("VirtualTimeEventLoop: a cancelled task's timer does not hold the clock", async () => {
  const end = await run(async () => {
    const task = createTask(() => sleep(1000));
    await sleep(1);
    task.cancel();
    await assertRejects(() => task);
    await sleep(1);
    return getRunningLoop().time();
  }, { loopFactory: () => new VirtualTimeEventLoop() });
  assertEquals(end, 2);
});

Deno.test("VirtualTimeEventLoop: real I/O completes before the clock moves past it", async () => {
  // A real (tiny) macrotask-level wait completes while a virtual timer waits.
  const loop = new VirtualTimeEventLoop();
  const order = await loop.runUntilComplete(async () => {
    const order: string[] = [];
    const timer = sleep(5).then(() => order.push("timer"));
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    order.push("microtask");
    await timer;
    return order;
  });
  loop.close();
  assertEquals(order, ["microtask", "timer"]);
  const real = newEventLoop();
  real.close();
});
