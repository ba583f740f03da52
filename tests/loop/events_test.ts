// deno-lint-ignore-file require-await -- an async coroutine without await is legitimate, as an
// `async def` without await is in Python.
// Loop access: getEventLoop / setEventLoop / newEventLoop / getRunningLoop
// and the event loop policies. Every test restores the global policy.
import {
  assert,
  assertEquals,
  assertNotStrictEquals,
  assertStrictEquals,
  assertThrows,
} from "../deps.ts";
import {
  AbstractEventLoopPolicy,
  DefaultEventLoopPolicy,
  EventLoop,
  Future,
  getEventLoop,
  getEventLoopPolicy,
  getRunningLoop,
  newEventLoop,
  RuntimeError,
  setEventLoop,
  setEventLoopPolicy,
} from "../../mod.ts";

/** Runs `fn` with a fresh default policy, then puts the previous one back. */
async function withFreshPolicy(fn: (policy: DefaultEventLoopPolicy) => unknown): Promise<void> {
  const saved = getEventLoopPolicy();
  const policy = new DefaultEventLoopPolicy();
  setEventLoopPolicy(policy);
  try {
    await fn(policy);
  } finally {
    setEventLoopPolicy(saved);
  }
}

Deno.test("newEventLoop: a new loop each time, neither running nor closed", () => {
  const a = newEventLoop();
  const b = newEventLoop();
  try {
    assert(a instanceof EventLoop);
    assertNotStrictEquals(a, b);
    assertEquals(a.isRunning(), false);
    assertEquals(a.isClosed(), false);
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("getEventLoop: outside a running loop, the policy makes one on first use and keeps it", async () => {
  await withFreshPolicy(() => {
    const loop = getEventLoop();
    try {
      assert(loop instanceof EventLoop);
      assertStrictEquals(getEventLoop(), loop);
      assertEquals(loop.isRunning(), false);
    } finally {
      setEventLoop(null);
      loop.close();
    }
  });
});

Deno.test("getEventLoop: inside a running loop, gives the running loop", async () => {
  await withFreshPolicy(async () => {
    const current = newEventLoop();
    const running = newEventLoop();
    setEventLoop(current);
    try {
      const seen = await running.runUntilComplete(async () => getEventLoop());
      assertStrictEquals(seen, running);
      let inCallback: EventLoop | null = null;
      running.callSoon(() => {
        inCallback = getEventLoop();
        running.stop();
      });
      await running.runForever();
      assertStrictEquals(inCallback, running);
      assertStrictEquals(getEventLoop(), current);
    } finally {
      setEventLoop(null);
      current.close();
      running.close();
    }
  });
});

Deno.test("setEventLoop: sets the current loop; null leaves none (RuntimeError)", async () => {
  await withFreshPolicy(() => {
    const loop = newEventLoop();
    try {
      setEventLoop(loop);
      assertStrictEquals(getEventLoop(), loop);
      setEventLoop(null);
      assertThrows(() => getEventLoop(), RuntimeError);
    } finally {
      loop.close();
    }
  });
});

Deno.test("setEventLoop: a value that is not an EventLoop throws TypeError", async () => {
  await withFreshPolicy(() => {
    assertThrows(() => setEventLoop({} as unknown as EventLoop), TypeError);
    assertThrows(() => setEventLoop("loop" as unknown as EventLoop), TypeError);
    assertThrows(() => setEventLoop(undefined as unknown as EventLoop), TypeError);
  });
});

Deno.test("getRunningLoop: RuntimeError when no loop runs, even with a current loop set", async () => {
  await withFreshPolicy(() => {
    const loop = newEventLoop();
    try {
      setEventLoop(loop);
      assertThrows(() => getRunningLoop(), RuntimeError);
    } finally {
      setEventLoop(null);
      loop.close();
    }
  });
});

Deno.test("Future() without a loop binds to the current event loop", async () => {
  await withFreshPolicy(() => {
    const loop = newEventLoop();
    try {
      setEventLoop(loop);
      const fut = new Future();
      assertStrictEquals(fut.getLoop(), loop);
    } finally {
      setEventLoop(null);
      loop.close();
    }
  });
});

Deno.test("Future() without a loop and no current loop throws RuntimeError", async () => {
  await withFreshPolicy(() => {
    setEventLoop(null);
    assertThrows(() => new Future(), RuntimeError);
  });
});

// ---- policies ---------------------------------------------------------------

Deno.test("getEventLoopPolicy: a DefaultEventLoopPolicy unless set, the same one each time", () => {
  const policy = getEventLoopPolicy();
  assert(policy instanceof DefaultEventLoopPolicy);
  assert(policy instanceof AbstractEventLoopPolicy);
  assertStrictEquals(getEventLoopPolicy(), policy);
});

Deno.test("setEventLoopPolicy: a custom policy receives getEventLoop/setEventLoop/newEventLoop", async () => {
  const saved = getEventLoopPolicy();
  const calls: string[] = [];
  const ownLoop = new EventLoop();
  class RecordingPolicy extends AbstractEventLoopPolicy {
    current: EventLoop | null = null;
    getEventLoop(): EventLoop {
      calls.push("get");
      return this.current ?? ownLoop;
    }
    setEventLoop(loop: EventLoop | null): void {
      calls.push("set");
      this.current = loop;
    }
    newEventLoop(): EventLoop {
      calls.push("new");
      return new EventLoop();
    }
  }
  const policy = new RecordingPolicy();
  setEventLoopPolicy(policy);
  try {
    assertStrictEquals(getEventLoopPolicy(), policy);
    assertStrictEquals(getEventLoop(), ownLoop);
    const made = newEventLoop();
    setEventLoop(made);
    assertStrictEquals(getEventLoop(), made);
    assertEquals(calls, ["get", "new", "set", "get"]);
    // While a loop runs, getEventLoop() does not ask the policy.
    calls.length = 0;
    await made.runUntilComplete(async () => assertStrictEquals(getEventLoop(), made));
    assertEquals(calls, []);
    made.close();
  } finally {
    setEventLoopPolicy(saved);
    ownLoop.close();
  }
});

Deno.test("setEventLoopPolicy(null) restores a fresh default policy", () => {
  const saved = getEventLoopPolicy();
  try {
    setEventLoopPolicy(null);
    const policy = getEventLoopPolicy();
    assert(policy instanceof DefaultEventLoopPolicy);
    assertNotStrictEquals(policy, saved);
  } finally {
    setEventLoopPolicy(saved);
  }
  assertStrictEquals(getEventLoopPolicy(), saved);
});

Deno.test("setEventLoopPolicy: a value that is not a policy throws TypeError", () => {
  const saved = getEventLoopPolicy();
  try {
    assertThrows(
      () => setEventLoopPolicy({ getEventLoop() {} } as unknown as AbstractEventLoopPolicy),
      TypeError,
    );
    assertThrows(() => setEventLoopPolicy(1 as unknown as AbstractEventLoopPolicy), TypeError);
    assertStrictEquals(getEventLoopPolicy(), saved);
  } finally {
    setEventLoopPolicy(saved);
  }
});

Deno.test("DefaultEventLoopPolicy: newEventLoop makes a new EventLoop; getEventLoop keeps one", () => {
  const policy = new DefaultEventLoopPolicy();
  const a = policy.newEventLoop();
  const b = policy.newEventLoop();
  const current = policy.getEventLoop();
  try {
    assert(a instanceof EventLoop);
    assertNotStrictEquals(a, b);
    assertStrictEquals(policy.getEventLoop(), current);
    assertNotStrictEquals(current, a);
    policy.setEventLoop(a);
    assertStrictEquals(policy.getEventLoop(), a);
    assertThrows(() => policy.setEventLoop(42 as unknown as EventLoop), TypeError);
    policy.setEventLoop(null);
    assertThrows(() => policy.getEventLoop(), RuntimeError);
  } finally {
    a.close();
    b.close();
    current.close();
  }
});

Deno.test("DefaultEventLoopPolicy: after setEventLoop(null) first, no loop is made on demand", () => {
  const policy = new DefaultEventLoopPolicy();
  policy.setEventLoop(null);
  assertThrows(() => policy.getEventLoop(), RuntimeError);
});
