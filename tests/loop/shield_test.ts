import { CancelledError, createTask, getRunningLoop, shield, sleep } from "../../mod.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals } from "../deps.ts";
import { runVirtual } from "./_virtual.ts";

Deno.test("shield: cancelling the awaiting task leaves the inner task running", async () => {
  await runVirtual(async () => {
    const inner = createTask(() => sleep(2, "survived"));
    const outer = createTask(() => shield(inner));
    await sleep(1);
    outer.cancel();
    await assertRejects(() => outer, CancelledError);
    assertEquals(await inner, "survived");
  });
});

Deno.test("shield: the result and the exception of the inner awaitable pass through", async () => {
  await runVirtual(async () => {
    assertEquals(await shield(() => sleep(1, 5)), 5);
    await assertRejects(
      () =>
        shield(async () => {
          await sleep(1);
          throw new EvalError("inner failed");
        }),
      EvalError,
    );
  });
});

Deno.test("shield: a done future is returned as it is", async () => {
  await runVirtual(() => {
    const fut = getRunningLoop().createFuture<number>();
    fut.setResult(1);
    assertStrictEquals(shield(fut), fut);
  });
});

Deno.test("shield: cancelling the inner task cancels the outer future", async () => {
  await runVirtual(async () => {
    const inner = createTask(() => sleep(5));
    const outer = shield(inner);
    await sleep(1);
    inner.cancel();
    await assertRejects(() => outer, CancelledError);
    assert(outer.cancelled());
  });
});
