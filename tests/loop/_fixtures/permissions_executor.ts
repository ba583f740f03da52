// Fixture of permissions_test.ts: executors without --allow-run (process
// pool) and --allow-read (Workers start from the library's files, and a
// module function's module is read in the Worker).
import * as asyncio from "../../../mod.ts";
import { report } from "./permissions_report.ts";

const module = new URL("../_executor_module.ts", import.meta.url);
await report({
  processPool: async () => {
    const pool = new asyncio.ProcessPoolExecutor({ maxWorkers: 1 });
    try {
      await pool.submit((x: number) => x + 1, 1);
    } finally {
      await pool.shutdown();
    }
  },
  toThread: () => asyncio.toThread((x: number) => x + 1, 1),
  moduleFunction: async () => {
    const pool = new asyncio.WorkerPoolExecutor({ maxWorkers: 1 });
    try {
      await pool.submit({ module, name: "triple" }, 1);
    } finally {
      await pool.shutdown();
    }
  },
});
