/**
 * The TypeScript side of bench/loop: the loop-core workloads on this
 * library, the same ones as peer.py runs on CPython's asyncio.
 *
 * Usage (bench/run.ts does this, one process a workload):
 * `deno run -A --v8-flags=--expose-gc bench/loop/workloads.ts NAME SIZE [REPEATS]`
 * prints one JSON `WorkloadResult`.
 *
 * @module
 */
import { createTask, gather, newEventLoop, run, sleep } from "../../mod.ts";
import type { TimerHandle } from "../../mod.ts";
import { type MemorySampler, type RunMetrics, type WorkloadFn, workloadMain } from "../_harness.ts";
import process from "node:process";

const now = () => performance.now() / 1000;
const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

// ---- 1. callSoon ---------------------------------------------------------------

/** Each callback schedules the next: `n` loop iterations of one callback. */
export async function callsoonChain(n: number): Promise<RunMetrics> {
  const loop = newEventLoop();
  let count = 0;
  let start = 0;
  let end = 0;
  const step = () => {
    if (++count < n) {
      loop.callSoon(step);
    } else {
      end = now();
      loop.stop();
    }
  };
  loop.callSoon(() => {
    start = now();
    step();
  });
  await loop.runForever();
  loop.close();
  if (count !== n) throw new Error(`ran ${count} callbacks of ${n}`);
  return { seconds: end - start };
}

/** `n` callbacks scheduled at once, then run in one iteration. */
export async function callsoonBurst(n: number): Promise<RunMetrics> {
  const loop = newEventLoop();
  let count = 0;
  let start = 0;
  let end = 0;
  const cb = () => {
    if (++count === n) {
      end = now();
      loop.stop();
    }
  };
  loop.callSoon(() => {
    start = now();
    for (let i = 0; i < n; i++) loop.callSoon(cb);
  });
  await loop.runForever();
  loop.close();
  if (count !== n) throw new Error(`ran ${count} callbacks of ${n}`);
  return { seconds: end - start };
}

// ---- 2. callLater --------------------------------------------------------------

/** The delays are within [0, SPREAD) seconds. */
const SPREAD = 0.1;

/**
 * `n` timers with pseudo-random delays within SPREAD, every odd one
 * cancelled. `seconds` is the scheduling + cancelling time; the run until
 * the last live timer fired is reported apart (wall and CPU time), as its
 * wall time is mostly the wait.
 */
export async function timers(n: number): Promise<RunMetrics> {
  const loop = newEventLoop();
  const live = n - Math.floor(n / 2);
  let fired = 0;
  let end = 0;
  let endCpu = 0;
  let endLoop = 0;
  let start = 0;
  let startCpu = 0;
  let lastWhen = 0;
  let schedule = 0;
  let cancel = 0;
  const cb = () => {
    if (++fired === live) {
      end = now();
      endCpu = cpuNow();
      endLoop = loop.time();
      loop.stop();
    }
  };
  loop.callSoon(() => {
    // The same Park-Miller sequence as peer.py: identical delays.
    let rng = 12345;
    const handles: TimerHandle[] = new Array(n);
    const t0 = now();
    for (let i = 0; i < n; i++) {
      rng = rng * 48271 % 2147483647;
      handles[i] = loop.callLater(rng / 2147483647 * SPREAD, cb);
    }
    const t1 = now();
    for (let i = 1; i < n; i += 2) handles[i].cancel();
    const t2 = now();
    for (let i = 0; i < n; i += 2) lastWhen = Math.max(lastWhen, handles[i].when());
    start = t2;
    startCpu = cpuNow();
    schedule = t1 - t0;
    cancel = t2 - t1;
  });
  await loop.runForever();
  loop.close();
  if (fired !== live) throw new Error(`fired ${fired} timers of ${live}`);
  return {
    seconds: schedule + cancel,
    schedule,
    cancel,
    run_wall: end - start,
    run_cpu: endCpu - startCpu,
    lateness: endLoop - lastWhen,
  };
}

// ---- 3. tasks + gather ---------------------------------------------------------

let memoryProbe: MemorySampler | null = null;

async function work(i: number): Promise<number> {
  if (memoryProbe !== null && i % 1000 === 0) memoryProbe.sample();
  await sleep(0);
  if (memoryProbe !== null && i % 1000 === 0) memoryProbe.sample();
  return i;
}

/** `n` tasks (`await sleep(0); return i`) created and gathered. */
export function gatherTasks(n: number): Promise<RunMetrics> {
  return run(async () => {
    const t0 = now();
    const coros = new Array<() => Promise<number>>(n);
    for (let i = 0; i < n; i++) coros[i] = () => work(i);
    const results = await gather(...coros);
    const t1 = now();
    if (results.length !== n || results[n - 1] !== n - 1) throw new Error("wrong results");
    return { seconds: t1 - t0 };
  });
}

async function gatherMemory(n: number, sampler: MemorySampler): Promise<void> {
  memoryProbe = sampler;
  try {
    await gatherTasks(n);
  } finally {
    memoryProbe = null;
  }
}

// ---- 4. Queue ------------------------------------------------------------------

const PRODUCERS = 4;
const CONSUMERS = 4;
const QUEUE_MAXSIZE = 1000;

/** `n` items through a `Queue(1000)` between 4 producers and 4 consumers. */
export async function queue(n: number): Promise<RunMetrics> {
  const { Queue } = await import("../../loop/queues.ts");
  return run(async () => {
    const q = new Queue<number | null>(QUEUE_MAXSIZE);
    const per = Math.floor(n / PRODUCERS);
    let received = 0;
    const producer = async (p: number) => {
      const base = p * per;
      for (let i = base; i < base + per; i++) await q.put(i);
    };
    const consumer = async () => {
      let count = 0;
      for (;;) {
        const item = await q.get();
        q.taskDone();
        if (item === null) break;
        count++;
      }
      received += count;
    };
    const t0 = now();
    const consumers = Array.from({ length: CONSUMERS }, () => createTask(consumer));
    await gather(...Array.from({ length: PRODUCERS }, (_, p) => () => producer(p)));
    for (let c = 0; c < CONSUMERS; c++) await q.put(null);
    await q.join();
    await gather(...consumers);
    const t1 = now();
    if (received !== per * PRODUCERS) throw new Error(`received ${received} of ${per * PRODUCERS}`);
    return { seconds: t1 - t0 };
  });
}

// ---- 5. Lock -------------------------------------------------------------------

const LOCK_TASKS = 4;

/**
 * `n` acquire/release pairs among 4 tasks; each holds the lock across a
 * `sleep(0)`, so the others wait and every release hands the lock off.
 */
export async function lock(n: number): Promise<RunMetrics> {
  const { Lock } = await import("../../loop/locks.ts");
  return run(async () => {
    const lk = new Lock();
    const per = Math.floor(n / LOCK_TASKS);
    let inside = 0;
    let handoffs = 0;
    let last = -1;
    const worker = async (w: number) => {
      for (let i = 0; i < per; i++) {
        await lk.acquire();
        try {
          if (last !== w) {
            handoffs++;
            last = w;
          }
          inside++;
          await sleep(0);
        } finally {
          lk.release();
        }
      }
    };
    const t0 = now();
    await gather(...Array.from({ length: LOCK_TASKS }, (_, w) => () => worker(w)));
    const t1 = now();
    if (inside !== per * LOCK_TASKS) throw new Error(`${inside} of ${per * LOCK_TASKS}`);
    return { seconds: t1 - t0, handoffs };
  });
}

/** The workloads by the names run.ts and peer.py use. */
export const WORKLOADS: Record<string, WorkloadFn> = {
  "callsoon-chain": callsoonChain,
  "callsoon-burst": callsoonBurst,
  "timers": timers,
  "gather": gatherTasks,
  "queue": queue,
  "lock": lock,
};

if (import.meta.main) {
  await workloadMain(WORKLOADS, {
    runtime: `Deno ${Deno.version.deno} @asyncio/asyncio`,
    memory: { gather: gatherMemory },
  });
}
