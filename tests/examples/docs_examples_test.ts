// The examples of asyncio's documentation pages on the event loop, streams,
// protocols and futures, each run as a program with the flags its header
// names (`Run: deno run ...`, read from the file), under --no-prompt: a flag
// missing from the header fails the test.
import { assert, assertEquals } from "../deps.ts";
import { TextLineStream } from "../_lines.ts";

const root = new URL("../..", import.meta.url).pathname;
const decoder = new TextDecoder();

/** The flags of the example's `Run: deno run <flags> examples/<name>` header line. */
function documentedFlags(name: string): string[] {
  const source = Deno.readTextFileSync(`${root}examples/${name}`);
  const line = source.match(/^ \* Run: deno run (.*?)examples\/(\S+)/m);
  assert(line !== null, `examples/${name} has no "Run: deno run" line`);
  assertEquals(line[2], name);
  return line[1].split(" ").filter((flag) => flag !== "");
}

function command(name: string, args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--quiet", ...documentedFlags(name), `examples/${name}`, ...args],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

async function runExample(name: string, ...args: string[]): Promise<string> {
  const output = await command(name, args).output();
  const stdout = decoder.decode(output.stdout);
  const stderr = decoder.decode(output.stderr);
  assertEquals(output.code, 0, `examples/${name} failed:\n${stdout}\n${stderr}`);
  assertEquals(stderr, "");
  return stdout;
}

Deno.test("examples/hello_world_call_soon.ts: the callback prints and stops the loop", async () => {
  assertEquals(await runExample("hello_world_call_soon.ts"), "Hello World\n");
});

Deno.test("examples/display_date_call_later.ts: five dates, one interval apart", async () => {
  const scale = 0.1;
  const lines = (await runExample("display_date_call_later.ts", String(scale))).trimEnd().split(
    "\n",
  );
  assertEquals(lines.length, 5, lines.join("\n"));
  const times = lines.map((line) => {
    // Python's str(datetime.datetime.now()): local time, microseconds.
    assert(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/.test(line), line);
    return new Date(line.replace(" ", "T").slice(0, 23)).getTime() / 1000;
  });
  for (let i = 1; i < times.length; i++) {
    // A timer never fires early (1 ms of rounding allowed).
    assert(times[i] - times[i - 1] >= scale - 0.002, lines.join("\n"));
  }
});

Deno.test("examples/watch_fd_read_events.ts: addReader says why not, sockRecv does the job", async () => {
  const lines = (await runExample("watch_fd_read_events.ts")).trimEnd().split("\n");
  assertEquals(lines.length, 2, lines.join("\n"));
  assert(
    lines[0].startsWith(
      "loop.addReader() raised NotImplementedError: addReader(): Deno exposes no file descriptors",
    ),
    lines[0],
  );
  assertEquals(lines[1], "Received: abc");
});

// Whether the kernel shows `signal` caught by process `pid` (SigCgt).
async function catches(pid: number, signal: number): Promise<boolean> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const mask = BigInt(`0x${status.match(/^SigCgt:\s*([0-9a-f]+)$/m)![1]}`);
  return (mask & (1n << BigInt(signal - 1))) !== 0n;
}

/**
 * Runs signal_handlers.ts, sends `signame` once its handler is set, and
 * gives its output. The lines print before asyncio.run() sets the handlers
 * (as in Python), so the test waits until the kernel shows the signal
 * caught. That can come a moment early: Deno catches SIGHUP, SIGINT and
 * SIGTERM at the first signal listener, which is asyncio.run()'s own SIGINT
 * handler (KeyboardInterrupt, as in Python) or the example's SIGINT one
 * (before its SIGTERM one). A signal in that moment ends the program
 * without the handler's line, which the caller sees and retries.
 */
async function signalExample(signame: "SIGINT" | "SIGTERM", signum: number) {
  const child = command("signal_handlers.ts", []).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
    new TextLineStream(),
  );
  const seen: string[] = [];
  try {
    for await (const line of lines) {
      seen.push(line);
      if (seen.length !== 1) continue;
      assertEquals(line, "Event loop running for 1 hour, press Ctrl+C to interrupt.");
      const deadline = performance.now() + 10_000;
      while (!await catches(child.pid, signum)) {
        assert(performance.now() < deadline, `no ${signame} handler after 10 s`);
      }
      child.kill(signame);
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // It has exited.
    }
  }
  return { pid: child.pid, seen, status: await child.status, errors: await stderr };
}

for (const [signame, signum] of [["SIGTERM", 15], ["SIGINT", 2]] as const) {
  Deno.test(`examples/signal_handlers.ts: ${signame} runs the handler, which stops the loop`, async () => {
    let result = await signalExample(signame, signum);
    const early = () => !result.seen.includes(`got signal ${signame}: exit`);
    for (let retry = 0; retry < 5 && early(); retry++) {
      result = await signalExample(signame, signum);
    }
    const { pid, seen, status, errors } = result;
    assertEquals(seen, [
      "Event loop running for 1 hour, press Ctrl+C to interrupt.",
      `pid ${pid}: send SIGINT or SIGTERM to exit.`,
      `got signal ${signame}: exit`,
    ]);
    // As in Python: stop() inside run() ends it with this RuntimeError.
    assertEquals(status.code, 1, errors);
    assert(
      errors.includes("RuntimeError: Event loop stopped before Future completed."),
      errors,
    );
  });
}

Deno.test("examples/streams_open_socket.ts: openConnection(sock) reads what the pair sent", async () => {
  assertEquals(await runExample("streams_open_socket.ts"), "Received: abc\n");
});

Deno.test("examples/protocol_existing_socket.ts: createConnection(sock) gets what the pair sent", async () => {
  assertEquals(await runExample("protocol_existing_socket.ts"), "Received: abc\n");
});

Deno.test("examples/subprocess_protocol_date.ts: DateProtocol collects the child's line", async () => {
  const out = await runExample("subprocess_protocol_date.ts");
  assert(/^Current date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\n$/.test(out), out);
});

Deno.test("examples/future_set_after.ts: the future gets its result after the delay", async () => {
  const delay = 0.2;
  const started = performance.now();
  assertEquals(await runExample("future_set_after.ts", String(delay)), "hello ...\n... world\n");
  assert((performance.now() - started) / 1000 >= delay);
});
