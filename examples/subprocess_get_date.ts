/**
 * The get_date example of asyncio's documentation ("Subprocesses":
 * examples), ported line by line: start a child interpreter, read one line
 * of its output, wait for it to exit. Python's `sys.executable` is
 * `Deno.execPath()`, and the child runs JavaScript.
 *
 * Run: deno run --allow-run examples/subprocess_get_date.ts
 *
 * @module
 */
import * as asyncio from "../mod.ts";
import { createSubprocessExec, PIPE } from "../subprocess/subprocess.ts";

export async function getDate(): Promise<string> {
  const code = "console.log(new Date().toISOString())";

  // Create the subprocess; redirect the standard output
  // into a pipe.
  const proc = await createSubprocessExec(
    Deno.execPath(),
    "eval",
    code,
    { stdout: PIPE },
  );

  // Read one line of output.
  const data = await proc.stdout!.readline();
  const line = new TextDecoder("ascii").decode(data).trimEnd();

  // Wait for the subprocess exit.
  await proc.wait();
  return line;
}

export async function main(): Promise<void> {
  const date = await asyncio.run(getDate);
  console.log(`Current date: ${date}`);
}

if (import.meta.main) {
  await main();
}
