/**
 * The executor example of asyncio's documentation ("Executing code in
 * thread or process pools"), ported line by line: the default executor, a
 * custom thread pool and a custom process pool. `blocking_io` and
 * `cpu_bound` are self-contained functions, since their source is sent to
 * a Worker or a `deno` process; `cpu_bound` sums BigInts, as Python's ints
 * do not overflow.
 *
 * Run: deno run -A examples/executors.ts
 * (`--allow-read` for /dev/urandom, `--allow-run` for the process pool)
 *
 * @module
 */
import * as asyncio from "../mod.ts";

function blockingIo() {
  // File operations (such as logging) can block the
  // event loop: run them in a thread pool.
  using f = Deno.openSync("/dev/urandom", { read: true });
  const buffer = new Uint8Array(100);
  f.readSync(buffer);
  return buffer;
}

function cpuBound() {
  // CPU-bound operations will block the event loop:
  // in general it is preferable to run them in a
  // process pool.
  let sum = 0n;
  for (let i = 0; i < 10 ** 7; i++) sum += BigInt(i) * BigInt(i);
  return sum;
}

async function main() {
  const loop = asyncio.getRunningLoop();

  // Options:

  // 1. Run in the default loop's executor:
  let result: unknown = await loop.runInExecutor(
    null,
    blockingIo,
  );
  console.log("default thread pool", result);

  // 2. Run in a custom thread pool:
  {
    await using pool = new asyncio.ThreadPoolExecutor();
    result = await loop.runInExecutor(
      pool,
      blockingIo,
    );
    console.log("custom thread pool", result);
  }

  // 3. Run in a custom process pool:
  {
    await using pool = new asyncio.ProcessPoolExecutor();
    result = await loop.runInExecutor(
      pool,
      cpuBound,
    );
    console.log("custom process pool", result);
  }
}

if (import.meta.main) {
  await asyncio.run(main);
}
