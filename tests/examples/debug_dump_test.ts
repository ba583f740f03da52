// examples/debug_dump.ts as a program: a real SIGUSR1 makes it print every
// pending task's call graph, a real SIGTERM stops it.
import { assert, assertEquals } from "../deps.ts";
import { TextLineStream } from "../_lines.ts";

Deno.test("examples/debug_dump.ts: SIGUSR1 prints where each task waits", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "examples/debug_dump.ts"],
    cwd: new URL("../..", import.meta.url).pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
    new TextLineStream(),
  ).getReader();
  const next = async () => {
    const { value, done } = await lines.read();
    if (done) throw new Error(`the example ended early: ${await stderr}`);
    return value;
  };
  assert((await next()).startsWith(`pid ${child.pid}:`));
  child.kill("SIGUSR1");
  const dump: string[] = [];
  for (let line = await next(); line !== "--- end ---"; line = await next()) dump.push(line);
  const text = dump.join("\n");
  assertEquals(dump[0], "--- every pending task ---");
  for (
    const frame of [
      "in async Event.wait()",
      "in async holdLockAndWait()",
      "in async Lock.acquire()",
      "in async needLock()",
    ]
  ) {
    assert(text.includes(frame), `the dump lacks ${frame}:\n${text}`);
  }
  child.kill("SIGTERM");
  assertEquals(await next(), "stopped");
  assertEquals((await child.status).code, 0);
  lines.releaseLock();
  await child.stdout.cancel().catch(() => {});
  await stderr;
});
