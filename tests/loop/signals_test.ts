import { getRunningLoop, newEventLoop, run, RuntimeError } from "../../mod.ts";
import { assert, assertEquals, assertThrows } from "../deps.ts";

Deno.test("addSignalHandler: a real SIGUSR1 runs the handler through the loop, with its args", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const got = loop.createFuture<[string, number]>();
    let calledSynchronously = false;
    loop.addSignalHandler("SIGUSR1", (a: string, b: number) => got.setResult([a, b]), "x", 1);
    Deno.kill(Deno.pid, "SIGUSR1");
    calledSynchronously = got.done();
    assertEquals(await got, ["x", 1]);
    assert(!calledSynchronously);
    assert(loop.removeSignalHandler("SIGUSR1"));
    assert(!loop.removeSignalHandler("SIGUSR1"));
  });
});

Deno.test("addSignalHandler: a second handler replaces the first", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const calls: string[] = [];
    const second = loop.createFuture<void>();
    loop.addSignalHandler("SIGUSR2", () => calls.push("first"));
    loop.addSignalHandler("SIGUSR2", () => {
      calls.push("second");
      second.setResult();
    });
    Deno.kill(Deno.pid, "SIGUSR2");
    await second;
    assertEquals(calls, ["second"]);
    loop.removeSignalHandler("SIGUSR2");
  });
});

Deno.test("addSignalHandler: unknown names are RangeError, SIGKILL and SIGSTOP RuntimeError", () => {
  const loop = newEventLoop();
  try {
    assertThrows(() => loop.addSignalHandler("SIGNOPE" as Deno.Signal, () => {}), RangeError);
    assertThrows(() => loop.addSignalHandler("SIGKILL", () => {}), RuntimeError);
    assertThrows(() => loop.addSignalHandler("SIGSTOP", () => {}), RuntimeError);
    assertThrows(() => loop.removeSignalHandler("SIGNOPE" as Deno.Signal), RangeError);
    assertThrows(
      () => loop.addSignalHandler("SIGUSR1", "nope" as unknown as () => void),
      TypeError,
    );
  } finally {
    loop.close();
  }
});

Deno.test("closing the loop removes its signal handlers", () => {
  const loop = newEventLoop();
  loop.addSignalHandler("SIGUSR1", () => {});
  loop.close();
  assert(!loop.removeSignalHandler("SIGUSR1"));
  assertThrows(() => loop.addSignalHandler("SIGUSR1", () => {}), RuntimeError);
});
