import {
  CancelledError,
  createTask,
  currentTask,
  ExceptionGroup,
  getRunningLoop,
  RuntimeError,
  sleep,
  TaskGroup,
} from "../../mod.ts";
import { assert, assertEquals, assertRejects } from "../deps.ts";
import { runVirtual } from "./_virtual.ts";

async function failLater(delay: number, message: string): Promise<never> {
  await sleep(delay);
  throw new Error(message);
}

Deno.test("TaskGroup: run waits for every task and returns the block's value", async () => {
  await runVirtual(async () => {
    const group = new TaskGroup();
    const [a, b, value] = await group.run(async (tg) => {
      const a = tg.createTask(() => sleep(2, "a"));
      const b = tg.createTask(() => sleep(1, "b"));
      await sleep(0);
      return [a, b, "block"] as const;
    });
    assertEquals([a.result(), b.result(), value], ["a", "b", "block"]);
    assertEquals(getRunningLoop().time(), 2);
  });
});

Deno.test("TaskGroup: the first failure cancels the other tasks and the block", async () => {
  await runVirtual(async () => {
    const cancelled: string[] = [];
    const error = await assertRejectsGroup(() =>
      new TaskGroup().run(async (tg) => {
        tg.createTask(async () => {
          try {
            await sleep(10);
          } catch (e) {
            if (e instanceof CancelledError) cancelled.push("sibling");
            throw e;
          }
        });
        tg.createTask(() => failLater(1, "boom"));
        try {
          await sleep(10);
        } catch (e) {
          if (e instanceof CancelledError) cancelled.push("block");
          throw e;
        }
      })
    );
    assertEquals(error.exceptions.map((e) => (e as Error).message), ["boom"]);
    assertEquals(cancelled.sort(), ["block", "sibling"]);
    assertEquals(currentTask()!.cancelling(), 0, "the group withdraws its cancellation");
    assertEquals(getRunningLoop().time(), 1);
  });
});

async function assertRejectsGroup(fn: () => Promise<unknown>): Promise<ExceptionGroup> {
  try {
    await fn();
  } catch (e) {
    assert(e instanceof ExceptionGroup, `expected an ExceptionGroup, got ${e}`);
    return e;
  }
  throw new Error("expected the TaskGroup to throw");
}

Deno.test("TaskGroup: several failures are grouped", async () => {
  await runVirtual(async () => {
    const error = await assertRejectsGroup(() =>
      new TaskGroup().run((tg) => {
        tg.createTask(() => failLater(1, "one"));
        tg.createTask(() => failLater(1, "two"));
      })
    );
    assertEquals(error.exceptions.map((e) => (e as Error).message).sort(), ["one", "two"]);
  });
});

Deno.test("TaskGroup: an error in the block cancels the tasks and is grouped", async () => {
  await runVirtual(async () => {
    let child!: ReturnType<TaskGroup["createTask"]>;
    const error = await assertRejectsGroup(() =>
      new TaskGroup().run(async (tg) => {
        child = tg.createTask(() => sleep(10));
        await sleep(1);
        throw new TypeError("in the block");
      })
    );
    assert(child.cancelled());
    assert(error.exceptions[0] instanceof TypeError);
  });
});

Deno.test("TaskGroup: cancelling the parent cancels the tasks and propagates", async () => {
  await runVirtual(async () => {
    let child!: ReturnType<TaskGroup["createTask"]>;
    const parent = createTask(() =>
      new TaskGroup().run((tg) => {
        child = tg.createTask(() => sleep(10));
      })
    );
    await sleep(1);
    parent.cancel();
    await assertRejects(() => parent, CancelledError);
    assert(child.cancelled());
  });
});

Deno.test("TaskGroup: a failure in the group stops code after it in the parent", async () => {
  await runVirtual(async () => {
    const events: string[] = [];
    try {
      await new TaskGroup().run(async (tg) => {
        tg.createTask(() => failLater(1, "crash"));
        await sleep(100);
        events.push("not reached");
      });
    } catch {
      events.push("caught");
    }
    await sleep(1); // the parent task goes on, not cancelled
    events.push("after");
    assertEquals(events, ["caught", "after"]);
  });
});

Deno.test("TaskGroup: createTask outside run, after it, or while aborting throws", async () => {
  await runVirtual(async () => {
    const group = new TaskGroup();
    try {
      group.createTask(() => sleep(0));
      throw new Error("expected RuntimeError");
    } catch (e) {
      assert(e instanceof RuntimeError);
    }
    await group.run(() => {});
    try {
      group.createTask(() => sleep(0));
      throw new Error("expected RuntimeError");
    } catch (e) {
      assert(e instanceof RuntimeError && e.message.includes("finished"));
    }
    await assertRejects(() => group.run(() => {}), RuntimeError);
  });
});

Deno.test("TaskGroup: a task created from inside a task of the group joins it", async () => {
  await runVirtual(async () => {
    const done: string[] = [];
    await new TaskGroup().run((tg) => {
      tg.createTask(async () => {
        await sleep(1);
        tg.createTask(async () => {
          await sleep(1);
          done.push("grandchild");
        });
        done.push("child");
      });
    });
    assertEquals(done, ["child", "grandchild"]);
  });
});
