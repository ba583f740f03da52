// The subprocess examples, run through their main(): each prints what the
// documentation's version prints.
import { main as getDate } from "../../examples/subprocess_get_date.ts";
import { main as shell } from "../../examples/subprocess_shell.ts";
import { main as exec } from "../../examples/subprocess_exec.ts";
import { main as concurrent } from "../../examples/subprocess_concurrent.ts";
import { assert, assertEquals } from "../deps.ts";

async function captured(main: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const saved = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    await main();
  } finally {
    console.log = saved;
  }
  return lines.join("\n");
}

Deno.test("examples/subprocess_get_date.ts: one line from a child interpreter", async () => {
  const out = await captured(getDate);
  assert(/^Current date: \d{4}-\d\d-\d\dT/.test(out), out);
});

Deno.test("examples/subprocess_shell.ts: the exit code and stderr of ls /zzz", async () => {
  const out = await captured(shell);
  assert(out.startsWith('["ls /zzz" exited with 2]\n[stderr]\n'), out);
  assert(out.includes("/zzz"));
});

Deno.test("examples/subprocess_exec.ts: argv without a shell, and stdin", async () => {
  const out = await captured(exec);
  assert(out.includes('[["ls","/zzz"] exited with 2]'), out);
  assert(out.includes("[stdout]\na $HOME that no shell expands\n"), out);
  assert(out.endsWith("sorted: apple, fig, pear"), out);
});

Deno.test("examples/subprocess_concurrent.ts: two commands at the same time", async () => {
  const started = performance.now();
  const out = await captured(concurrent);
  const seconds = (performance.now() - started) / 1000;
  assert(seconds < 1.9, `${seconds} s: not concurrent`);
  assertEquals(out.split("\n")[0], '["ls /zzz" exited with 2]');
  assert(out.includes('["sleep 1; echo \\"hello\\"" exited with 0]\n[stdout]\nhello\n'), out);
});
