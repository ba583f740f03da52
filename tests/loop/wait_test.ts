import {
  ALL_COMPLETED,
  asCompleted,
  createTask,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type Future,
  getRunningLoop,
  sleep,
  TimeoutError,
  wait,
} from "../../mod.ts";
import { assert, assertEquals, assertRejects } from "../deps.ts";
import { runVirtual } from "./_virtual.ts";

function failAfter(delay: number, message: string) {
  return createTask(async () => {
    await sleep(delay);
    throw new Error(message);
  });
}

Deno.test("wait: ALL_COMPLETED returns every future done", async () => {
  await runVirtual(async () => {
    const a = createTask(() => sleep(1, "a"));
    const b = createTask(() => sleep(2, "b"));
    const [done, pending] = await wait([a, b]);
    assertEquals(done, new Set([a, b]));
    assertEquals(pending.size, 0);
    assertEquals(getRunningLoop().time(), 2);
  });
});

Deno.test("wait: FIRST_COMPLETED returns at the first one", async () => {
  await runVirtual(async () => {
    const a = createTask(() => sleep(1, "a"));
    const b = createTask(() => sleep(5, "b"));
    const [done, pending] = await wait([a, b], { returnWhen: FIRST_COMPLETED });
    assertEquals([...done], [a]);
    assertEquals([...pending], [b]);
    b.cancel();
  });
});

Deno.test("wait: FIRST_EXCEPTION returns at the first failure, or when all are done", async () => {
  await runVirtual(async () => {
    const ok = createTask(() => sleep(1, "ok"));
    const bad = failAfter(2, "bad");
    const slow = createTask(() => sleep(10));
    const [done, pending] = await wait([ok, bad, slow], { returnWhen: FIRST_EXCEPTION });
    assertEquals(done, new Set([ok, bad]));
    assertEquals([...pending], [slow]);
    assertEquals((bad.exception() as Error).message, "bad");
    slow.cancel();
    const [all] = await wait([createTask(() => sleep(1))], { returnWhen: FIRST_EXCEPTION });
    assertEquals(all.size, 1);
  });
});

Deno.test("wait: the timeout returns what is pending without throwing", async () => {
  await runVirtual(async () => {
    const slow = createTask(() => sleep(10));
    const [done, pending] = await wait([slow], { timeout: 1, returnWhen: ALL_COMPLETED });
    assertEquals(done.size, 0);
    assertEquals([...pending], [slow]);
    assertEquals(getRunningLoop().time(), 1);
    slow.cancel();
  });
});

Deno.test("wait: bad input is refused at the call", async () => {
  await runVirtual(async () => {
    await assertRejects(() => wait([]), RangeError);
    await assertRejects(() => wait([sleep(0)], { returnWhen: "NEVER" as never }), RangeError);
    await assertRejects(() => wait(sleep(0) as never), TypeError);
    await assertRejects(() => wait([() => sleep(0)] as never), TypeError);
  });
});

Deno.test("wait: promises are accepted and wrapped", async () => {
  await runVirtual(async () => {
    const [done] = await wait([Promise.resolve(1), sleep(1, 2)]);
    assertEquals([...done].map((f) => f.result()).sort(), [1, 2]);
  });
});

Deno.test("asCompleted: for gives results in completion order", async () => {
  await runVirtual(async () => {
    const order: string[] = [];
    for (const next of asCompleted([sleep(3, "c"), sleep(1, "a"), sleep(2, "b")])) {
      order.push(await next);
    }
    assertEquals(order, ["a", "b", "c"]);
  });
});

Deno.test("asCompleted: for await gives the original futures", async () => {
  await runVirtual(async () => {
    const a = createTask(() => sleep(2, "a"));
    const b = createTask(() => sleep(1, "b"));
    const seen: Future<string>[] = [];
    for await (const fut of asCompleted([a, b])) seen.push(fut);
    assertEquals(seen, [b, a]);
  });
});

Deno.test("asCompleted: the timeout makes the remaining waits throw TimeoutError", async () => {
  await runVirtual(async () => {
    const slow = createTask(() => sleep(10, "slow"));
    const iterator = asCompleted([sleep(1, "fast"), slow], { timeout: 2 })[Symbol.iterator]();
    assertEquals(await iterator.next().value, "fast");
    await assertRejects(() => iterator.next().value!, TimeoutError);
    assert(iterator.next().done);
    slow.cancel();
  });
});

Deno.test("asCompleted: an exception comes out of its own wait", async () => {
  await runVirtual(async () => {
    const results: string[] = [];
    for (const next of asCompleted([failAfter(1, "first"), sleep(2, "second")])) {
      try {
        results.push(await next);
      } catch (e) {
        results.push(`error: ${(e as Error).message}`);
      }
    }
    assertEquals(results, ["error: first", "second"]);
  });
});
