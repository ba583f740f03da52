/**
 * The Deno sides of the subprocess benchmark, one workload per process
 * (bench/_harness.ts's `workloadMain`):
 *
 * ```sh
 * deno run -A bench/subprocess/workloads.ts asyncio spawn 200 3
 * deno run -A bench/subprocess/workloads.ts raw pipe 1073741824 3
 * ```
 *
 * `asyncio` runs through this library (`createSubprocessExec`, `wait`,
 * `communicate`), `raw` through `Deno.Command` directly. `spawn N` starts
 * `true` and waits for it, N times one after the other; `pipe BYTES` sends
 * BYTES through `cat` and reads them back, writing and reading at the same
 * time, and checks the length.
 *
 * @module
 */
import { type RunMetrics, workloadMain } from "../_harness.ts";
import { run } from "../../mod.ts";
import { createSubprocessExec, PIPE } from "../../subprocess/subprocess.ts";

let cached: Uint8Array | null = null;

/** The bytes sent through cat: a pattern, the same on every side (made once). */
export function payload(size: number): Uint8Array {
  if (cached?.length === size) return cached;
  const data = new Uint8Array(size);
  for (let i = 0; i < 256 && i < size; i++) data[i] = i;
  for (let filled = 256; filled < size; filled *= 2) {
    data.copyWithin(filled, 0, Math.min(filled, size - filled));
  }
  return cached = data;
}

function check(received: number, size: number): void {
  if (received !== size) throw new Error(`cat gave back ${received} bytes of ${size}`);
}

const asyncio = {
  spawn: (n: number): Promise<RunMetrics> =>
    run(async () => {
      const start = performance.now();
      for (let i = 0; i < n; i++) {
        const proc = await createSubprocessExec("true");
        await proc.wait();
      }
      const seconds = (performance.now() - start) / 1000;
      return { seconds, per_second: n / seconds };
    }),
  pipe: (size: number): Promise<RunMetrics> => {
    const data = payload(size);
    return run(async () => {
      const start = performance.now();
      const proc = await createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
      const [stdout] = await proc.communicate(data);
      const seconds = (performance.now() - start) / 1000;
      check(stdout!.length, size);
      return { seconds, mib_per_second: size / 2 ** 20 / seconds };
    });
  },
};

const raw = {
  spawn: async (n: number): Promise<RunMetrics> => {
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const child = new Deno.Command("true", {
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
      }).spawn();
      await child.status;
    }
    const seconds = (performance.now() - start) / 1000;
    return { seconds, per_second: n / seconds };
  },
  pipe: async (size: number): Promise<RunMetrics> => {
    const data = payload(size);
    const start = performance.now();
    const child = new Deno.Command("cat", { stdin: "piped", stdout: "piped" }).spawn();
    const writing = (async () => {
      const writer = child.stdin.getWriter();
      await writer.write(data);
      await writer.close();
    })();
    const chunks: Uint8Array[] = [];
    let received = 0;
    for await (const chunk of child.stdout) {
      chunks.push(chunk);
      received += chunk.length;
    }
    const output = new Uint8Array(received);
    let offset = 0;
    for (const chunk of chunks) {
      output.set(chunk, offset);
      offset += chunk.length;
    }
    await writing;
    await child.status;
    const seconds = (performance.now() - start) / 1000;
    check(output.length, size);
    return { seconds, mib_per_second: size / 2 ** 20 / seconds };
  },
};

if (import.meta.main) {
  const [side, ...rest] = Deno.args;
  const sides: Record<string, Record<string, (n: number) => Promise<RunMetrics>>> = {
    asyncio,
    raw,
  };
  if (!(side in sides)) {
    console.error("usage: workloads.ts asyncio|raw spawn|pipe SIZE [REPEATS]");
    Deno.exit(2);
  }
  await workloadMain(sides[side], {
    runtime: `Deno ${Deno.version.deno} ${side === "raw" ? "Deno.Command" : "@asyncio/asyncio"}`,
  }, rest);
}
