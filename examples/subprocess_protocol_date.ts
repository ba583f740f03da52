/**
 * The "loop.subprocess_exec() and SubprocessProtocol" example of asyncio's
 * documentation (transports and protocols, examples), ported line by line:
 * a `SubprocessProtocol` collects a child interpreter's output and a
 * future tells when it exited. Python's `sys.executable -c code` is
 * `Deno.execPath() eval code`, and the child runs JavaScript (it prints
 * the date as an ISO string, where Python's prints `datetime.now()`).
 *
 * Run: deno run --allow-run examples/subprocess_protocol_date.ts
 *
 * @module
 */
import * as asyncio from "../mod.ts";

class DateProtocol extends asyncio.SubprocessProtocol {
  // Python's bytearray: the bytes so far, grown by extend().
  output = new Uint8Array(0);

  constructor(public exitFuture: asyncio.Future<boolean>) {
    super();
  }

  override pipeDataReceived(_fd: number, data: Uint8Array) {
    const output = new Uint8Array(this.output.length + data.length);
    output.set(this.output);
    output.set(data, this.output.length);
    this.output = output;
  }

  override processExited() {
    this.exitFuture.setResult(true);
  }
}

async function getDate(): Promise<string> {
  // Get a reference to the event loop as we plan to use
  // low-level APIs.
  const loop = asyncio.getRunningLoop();

  const code = "console.log(new Date().toISOString())";
  const exitFuture = new asyncio.Future<boolean>({ loop });

  // Create the subprocess controlled by DateProtocol;
  // redirect the standard output into a pipe.
  const [transport, protocol] = await loop.subprocessExec(
    () => new DateProtocol(exitFuture),
    Deno.execPath(),
    "eval",
    code,
    { stdin: null, stderr: null },
  );

  // Wait for the subprocess exit using the process_exited()
  // method of the protocol.
  await exitFuture;

  // Close the stdout pipe.
  transport.close();

  // Read the output which was collected by the
  // pipe_data_received() method of the protocol.
  const data = protocol.output.slice();
  return new TextDecoder("ascii").decode(data).trimEnd();
}

export async function main(): Promise<void> {
  const date = await asyncio.run(getDate);
  console.log(`Current date: ${date}`);
}

if (import.meta.main) {
  await main();
}
