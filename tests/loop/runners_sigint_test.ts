// run()/Runner and a real SIGINT, in a child deno process: the first SIGINT
// cancels the main task (its finally blocks run), then run() throws
// KeyboardInterrupt; a program with its own SIGINT handler is left alone.
import { run } from "../../mod.ts";
import { createSubprocessExec, PIPE, type Process } from "../../subprocess/subprocess.ts";
import { assert, assertEquals } from "../deps.ts";

const decoder = new TextDecoder();

function fixture(name: string): string {
  return new URL(`../subprocess/_fixtures/${name}`, import.meta.url).pathname;
}

async function startDeno(script: string): Promise<Process> {
  const proc = await createSubprocessExec(
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    fixture(script),
    { stdin: null, stdout: PIPE, stderr: PIPE },
  );
  // The program prints "ready" once main() runs, with run()'s listener set.
  assertEquals(decoder.decode(await proc.stdout!.readline()), "ready\n");
  return proc;
}

Deno.test("run(): a SIGINT cancels main, its finally runs, then KeyboardInterrupt", async () => {
  await run(async () => {
    const proc = await startDeno("sigint_main.ts");
    proc.sendSignal("SIGINT");
    const [stdout, stderr] = await proc.communicate();
    assertEquals(decoder.decode(stdout!), "finally ran\n");
    const message = decoder.decode(stderr!);
    assert(message.includes("KeyboardInterrupt"), message);
    assert(proc.returncode !== 0 && proc.returncode !== null, `returncode ${proc.returncode}`);
    // An uncaught error, not a death by signal.
    assertEquals(proc.returncode, 1);
  });
});

Deno.test("run(): a program that handles SIGINT itself is left alone", async () => {
  await run(async () => {
    const proc = await startDeno("sigint_handled.ts");
    proc.sendSignal("SIGINT");
    const [stdout, stderr] = await proc.communicate();
    assertEquals(decoder.decode(stdout!), "handled SIGINT\n");
    assertEquals(decoder.decode(stderr!), "");
    assertEquals(proc.returncode, 0);
  });
});
