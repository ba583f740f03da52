/**
 * Running several subprocesses at the same time, as asyncio's
 * documentation does after its first example: every subprocess function
 * is asynchronous, so `gather` monitors them in parallel. The two commands
 * together take about one second, not the sum of their times.
 *
 * Run: deno run --allow-run examples/subprocess_concurrent.ts
 *
 * @module
 */
import * as asyncio from "../mod.ts";
import { createSubprocessShell, PIPE } from "../subprocess/subprocess.ts";

export async function run(cmd: string): Promise<void> {
  const proc = await createSubprocessShell(
    cmd,
    { stdout: PIPE, stderr: PIPE },
  );

  const [stdout, stderr] = await proc.communicate();

  console.log(`[${JSON.stringify(cmd)} exited with ${proc.returncode}]`);
  if (stdout!.length) {
    console.log(`[stdout]\n${new TextDecoder().decode(stdout!)}`);
  }
  if (stderr!.length) {
    console.log(`[stderr]\n${new TextDecoder().decode(stderr!)}`);
  }
}

export async function main(): Promise<void> {
  await asyncio.run(async () => {
    await asyncio.gather(
      () => run("ls /zzz"),
      () => run('sleep 1; echo "hello"'),
    );
  });
}

if (import.meta.main) {
  await main();
}
