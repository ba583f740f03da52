/**
 * The executor suite: `runInExecutor` round trips against CPython's
 * `loop.run_in_executor` with a `ThreadPoolExecutor`, and a CPU-bound job
 * split over every core (this library's Workers against CPython's
 * `ProcessPoolExecutor`, the pool Python uses for CPU-bound work).
 *
 * @module
 */
import type { SuiteSpec } from "../_harness.ts";

/** The executor benchmarks. */
export const executorSuite: SuiteSpec = {
  name: "executor",
  workloads: new URL("./workloads.ts", import.meta.url),
  peer: new URL("./peer.py", import.meta.url),
  specs: [
    {
      name: "calls-sequential",
      size: 1e4,
      title: "runInExecutor(null, small) awaited one after the other",
      metrics: [
        { key: "seconds", label: "sequential calls: total", unit: "s" },
        { key: "per_call", label: "sequential calls: round trip", unit: "s" },
      ],
    },
    {
      name: "calls-concurrent",
      size: 1e4,
      title: "runInExecutor(null, small) all at once, gathered",
      metrics: [
        { key: "seconds", label: "concurrent calls: total", unit: "s" },
        { key: "per_call", label: "concurrent calls: per call", unit: "s" },
      ],
    },
    {
      name: "cpu-split",
      size: 4e7,
      title: "CPU-bound loop of SIZE steps in 64 chunks, 1 worker vs one per core",
      metrics: [
        { key: "one_core", label: "CPU job on 1 worker", unit: "s" },
        { key: "seconds", label: "CPU job on every core", unit: "s" },
      ],
    },
  ],
};
