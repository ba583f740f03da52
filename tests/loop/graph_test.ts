import {
  captureCallGraph,
  createTask,
  currentTask,
  formatAllCallGraphs,
  formatCallGraph,
  gather,
  getRunningLoop,
  run,
  shield,
  sleep,
  TaskGroup,
  waitFor,
} from "../../mod.ts";
import { assert, assertEquals, assertStrictEquals } from "../deps.ts";

Deno.test("captureCallGraph: null outside a task, the current task inside one", async () => {
  assertStrictEquals(captureCallGraph(), null);
  assertEquals(formatCallGraph(), "");
  await run(function main() {
    const graph = captureCallGraph()!;
    assertStrictEquals(graph.future, currentTask());
    assert(graph.callStack.some((frame) => frame.name === "main"), "its live stack is shown");
    assertEquals(graph.awaitedBy, []);
  });
});

Deno.test("call graph through gather: leaf ← gather ← the awaiting task", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const leafGraph = loop.createFuture<string>();
    const leaf = async () => {
      await sleep(0);
      leafGraph.setResult(formatCallGraph());
    };
    const parent = createTask(() => gather(() => leaf(), sleep(0.01)), { name: "parent" });
    const text = await leafGraph;
    await parent;
    const lines = text.split("\n");
    assert(lines[0].startsWith("* Task(name="), text);
    assert(text.includes("  + Awaited by:\n    * Future(id="), text);
    assert(text.includes('* Task(name="parent"'), text);
  });
});

Deno.test("call graph through TaskGroup and shield", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const seen = loop.createFuture<string[]>();
    await new TaskGroup().run((tg) => {
      tg.createTask(async () => {
        await sleep(0);
        const graph = captureCallGraph()!;
        seen.setResult(graph.awaitedBy.map((g) => g.future.toString()));
      }, { name: "child" });
    });
    const awaitedBy = await seen;
    assertEquals(awaitedBy.length, 1, "the group's parent task awaits the child");

    const inner = createTask(() => sleep(0.01), { name: "inner" });
    const outer = createTask(() => shield(inner), { name: "outer" });
    await sleep(0);
    const graph = captureCallGraph(inner)!;
    assertEquals(graph.awaitedBy.length, 1);
    assertEquals(graph.awaitedBy[0].awaitedBy[0].future, outer);
    await outer;
  });
});

Deno.test("call graph through waitFor: the task awaiting is shown", async () => {
  await run(async () => {
    const inner = createTask(() => sleep(0.01), { name: "inner" });
    const waiter = createTask(() => waitFor(inner, 1), { name: "waiter" });
    await sleep(0);
    const graph = captureCallGraph(inner)!;
    assertEquals(graph.awaitedBy.map((g) => g.future), [waiter]);
    await waiter;
  });
});

Deno.test("debug mode records where a suspended task waits; formatAllCallGraphs lists every task", async () => {
  await run(async () => {
    async function sleepyHelper() {
      await sleep(10);
    }
    const task = createTask(() => sleepyHelper(), { name: "sleepy" });
    await sleep(0);
    const graph = captureCallGraph(task)!;
    assert(graph.callStack.some((f) => f.name === "sleepyHelper" && f.async), "suspended frame");
    const dump = formatAllCallGraphs();
    assert(dump.includes('* Task(name="sleepy"'), dump);
    assert(dump.includes("async sleepyHelper()"), dump);
    assert(dump.includes("+ Awaiting: <SleepFuture pending>"), dump);
    assertEquals(captureCallGraph(task, { limit: 0 })!.callStack, []);
    task.cancel();
  }, { debug: true });
});

Deno.test("limit keeps the innermost frames (positive) or the outermost (negative)", async () => {
  await run(async function outerMost() {
    async function middle() {
      return await inner();
    }
    async function inner() {
      await sleep(0);
      return captureCallGraph()!.callStack.map((f) => f.name);
    }
    const all = await middle();
    assert(all.length >= 2);
    const limited = await (async () => {
      await sleep(0);
      return [
        captureCallGraph(null, { limit: 1 })!.callStack.length,
        captureCallGraph(null, { limit: -1 })!.callStack.length,
      ];
    })();
    assertEquals(limited, [1, 1]);
  });
});
