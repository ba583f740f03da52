/**
 * The first example of asyncio's documentation on subprocesses, ported
 * line by line: run a shell command, collect its stdout and stderr with
 * `communicate()`, and report its exit code.
 *
 * Run: deno run --allow-run examples/subprocess_shell.ts
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
  await asyncio.run(() => run("ls /zzz"));
}

if (import.meta.main) {
  await main();
}
