/**
 * The documentation's `run(cmd)` example with `createSubprocessExec`:
 * the program and its arguments are given one by one and no shell is
 * involved, so nothing in them needs quoting. Also feeds the child's stdin
 * through `communicate(input)`.
 *
 * Run: deno run --allow-run examples/subprocess_exec.ts
 *
 * @module
 */
import * as asyncio from "../mod.ts";
import { createSubprocessExec, PIPE } from "../subprocess/subprocess.ts";

export async function run(program: string, ...args: string[]): Promise<void> {
  const proc = await createSubprocessExec(
    program,
    ...args,
    { stdout: PIPE, stderr: PIPE },
  );

  const [stdout, stderr] = await proc.communicate();

  console.log(`[${JSON.stringify([program, ...args])} exited with ${proc.returncode}]`);
  if (stdout!.length) {
    console.log(`[stdout]\n${new TextDecoder().decode(stdout!)}`);
  }
  if (stderr!.length) {
    console.log(`[stderr]\n${new TextDecoder().decode(stderr!)}`);
  }
}

export async function sort(lines: string[]): Promise<string[]> {
  const proc = await createSubprocessExec("sort", { stdin: PIPE, stdout: PIPE });
  const [stdout] = await proc.communicate(new TextEncoder().encode(lines.join("\n") + "\n"));
  return new TextDecoder().decode(stdout!).trimEnd().split("\n");
}

export async function main(): Promise<void> {
  await asyncio.run(async () => {
    await run("ls", "/zzz");
    await run("echo", "a $HOME that no shell expands");
    console.log(`sorted: ${(await sort(["pear", "apple", "fig"])).join(", ")}`);
  });
}

if (import.meta.main) {
  await main();
}
