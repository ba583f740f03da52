/**
 * The loop-core suite: which workloads bench/run.ts runs, at which size,
 * which rows of the table each one gives, and the targets (ratios of
 * CPython's time to ours, from the issue).
 *
 * @module
 */
import type { SuiteSpec } from "../_harness.ts";

/** The loop-core benchmarks. */
export const loopSuite: SuiteSpec = {
  name: "loop",
  workloads: new URL("./workloads.ts", import.meta.url),
  peer: new URL("./peer.py", import.meta.url),
  specs: [
    {
      name: "callsoon-chain",
      size: 1e6,
      title: "callSoon chain (each callback schedules the next)",
      metrics: [{ key: "seconds", label: "callSoon chain", unit: "s", target: 10 }],
    },
    {
      name: "callsoon-burst",
      size: 1e6,
      title: "callSoon burst (10^6 scheduled at once)",
      metrics: [{ key: "seconds", label: "callSoon burst", unit: "s", target: 10 }],
    },
    {
      name: "timers",
      size: 1e5,
      title: "callLater, delays within 0.1 s, half cancelled",
      metrics: [
        { key: "seconds", label: "callLater: schedule + cancel half", unit: "s", target: 3 },
        { key: "run_cpu", label: "callLater: run until fired, CPU", unit: "s", target: 3 },
        { key: "run_wall", label: "callLater: run until fired, wall", unit: "s" },
      ],
    },
    {
      name: "gather",
      size: 1e5,
      title: "10^5 tasks (await sleep(0); return i) gathered",
      metrics: [
        { key: "seconds", label: "gather tasks", unit: "s", target: 3 },
        { key: "peak_rss_growth_bytes", label: "gather: peak RSS growth", unit: "bytes" },
        {
          key: "peak_alloc_bytes",
          label: "gather: peak heap (V8 heapUsed / tracemalloc)",
          unit: "bytes",
        },
      ],
    },
    {
      name: "queue",
      size: 1e6,
      title: "Queue(1000), 4 producers, 4 consumers",
      metrics: [{
        key: "seconds",
        label: "Queue, 4 producers → 4 consumers",
        unit: "s",
        target: 3,
      }],
    },
    {
      name: "lock",
      size: 1e5,
      title: "Lock hand-offs among 4 tasks",
      metrics: [{ key: "seconds", label: "Lock hand-offs, 4 tasks", unit: "s", target: 3 }],
    },
  ],
};
