/**
 * The TypeScript side of bench/executor: the same workloads as peer.py runs
 * on CPython.
 *
 * Usage (bench/executor/run.ts does this, one process a workload):
 * `deno run -A --v8-flags=--expose-gc bench/executor/workloads.ts NAME SIZE [REPEATS]`
 * prints one JSON `WorkloadResult`.
 *
 * @module
 */
import { gather, getRunningLoop, run, WorkerPoolExecutor } from "../../mod.ts";
import { type RunMetrics, workloadMain } from "../_harness.ts";

const now = () => performance.now() / 1000;
const small = (i: number) => i + 1;
const WARM_UP_CALLS = 200;
const CHUNKS = 64;

/** `n` calls through the default executor, each awaited before the next. */
export function callsSequential(n: number): Promise<RunMetrics> {
  return run(async () => {
    const loop = getRunningLoop();
    for (let i = 0; i < WARM_UP_CALLS; i++) await loop.runInExecutor(null, small, i);
    const t0 = now();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += await loop.runInExecutor<number>(null, small, i);
    const seconds = now() - t0;
    if (sum !== n * (n + 1) / 2) throw new Error(`wrong sum ${sum}`);
    return { seconds, per_call: seconds / n, calls_per_s: n / seconds };
  });
}

/** `n` calls through the default executor, all submitted at once and gathered. */
export function callsConcurrent(n: number): Promise<RunMetrics> {
  return run(async () => {
    const loop = getRunningLoop();
    await gather(
      ...Array.from({ length: WARM_UP_CALLS }, (_, i) => loop.runInExecutor(null, small, i)),
    );
    const t0 = now();
    const results = await gather(
      ...Array.from({ length: n }, (_, i) => loop.runInExecutor<number>(null, small, i)),
    );
    const seconds = now() - t0;
    if (results.length !== n || results[n - 1] !== n) throw new Error("wrong results");
    return { seconds, per_call: seconds / n, calls_per_s: n / seconds };
  });
}

/** One chunk of the CPU-bound job: a sum over [start, end), mod 2^31 - 1 (as peer.py). */
function cpuChunk(start: number, end: number): number {
  let acc = 0;
  for (let i = start; i < end; i++) acc = (acc + (i * i) % 7919) % 2147483647;
  return acc;
}

async function cpuJob(pool: WorkerPoolExecutor, n: number): Promise<[number, number]> {
  const loop = getRunningLoop();
  const step = Math.ceil(n / CHUNKS);
  const t0 = now();
  const parts = await gather(
    ...Array.from(
      { length: CHUNKS },
      (_, c) => loop.runInExecutor<number>(pool, cpuChunk, c * step, Math.min(n, (c + 1) * step)),
    ),
  );
  const seconds = now() - t0;
  return [seconds, parts.reduce((a, b) => (a + b) % 2147483647, 0)];
}

/** The CPU-bound job on one Worker, then on one Worker per core (started beforehand). */
export function cpuSplit(n: number): Promise<RunMetrics> {
  return run(async () => {
    const cores = navigator.hardwareConcurrency || 1;
    const loop = getRunningLoop();
    await using one = new WorkerPoolExecutor({ maxWorkers: 1 });
    await using all = new WorkerPoolExecutor({ maxWorkers: cores });
    // Start the Workers and compile the function before timing.
    await loop.runInExecutor(one, cpuChunk, 0, 1000);
    await gather(
      ...Array.from({ length: cores }, () => loop.runInExecutor(all, cpuChunk, 0, 1000)),
    );
    const [oneCore, check1] = await cpuJob(one, n);
    const [allCores, check2] = await cpuJob(all, n);
    if (check1 !== check2) throw new Error("the two runs disagree");
    return { seconds: allCores, one_core: oneCore, speedup: oneCore / allCores, cores };
  });
}

if (import.meta.main) {
  await workloadMain({
    "calls-sequential": callsSequential,
    "calls-concurrent": callsConcurrent,
    "cpu-split": cpuSplit,
  }, { runtime: `Deno ${Deno.version.deno} @asyncio/asyncio` });
}
