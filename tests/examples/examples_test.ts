// The examples are programs: run each as a user would and check its output.
import { assert, assertEquals } from "../deps.ts";

async function runExample(...args: string[]): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "--allow-read", "--allow-write", ...args],
    cwd: new URL("../..", import.meta.url).pathname,
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 0, `${args.join(" ")} failed:\n${stdout}\n${stderr}`);
  return stdout;
}

Deno.test("examples/queue_workers.ts: three workers drain the queue", async () => {
  const out = await runExample("examples/queue_workers.ts");
  assertEquals(out.match(/worker-\d has slept for/g)?.length, 20);
  assert(out.includes("3 workers slept in parallel for"));
});

Deno.test("examples/demo.ts: every part of the demo runs", async () => {
  const out = await runExample("examples/demo.ts");
  for (
    const line of [
      "3 workers slept in parallel for",
      "slow task stopped: CancelledError",
      "ExceptionGroup: the fast task failed",
      "waitFor gave up after",
      "finished in time (expired: false)",
      'Data received: "Hello World!"',
      "The server closed the connection",
    ]
  ) {
    assert(out.includes(line), `missing ${JSON.stringify(line)} in:\n${out}`);
  }
});

Deno.test("examples/tcp_echo_*_protocol.ts: the documentation's echo pair, as two processes", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String((probe.addr as Deno.NetAddr).port);
  probe.close();
  const server = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", "examples/tcp_echo_server_protocol.ts", port],
    cwd: new URL("../..", import.meta.url).pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    // The client retries until the server process listens.
    let out = "";
    for (let attempt = 0; attempt < 100; attempt++) {
      const result = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-net", "examples/tcp_echo_client_protocol.ts", port],
        cwd: new URL("../..", import.meta.url).pathname,
        stdin: "null",
      }).output();
      out = new TextDecoder().decode(result.stdout);
      if (result.code === 0) break;
    }
    assert(out.includes('Data received: "Hello World!"'), out);
    assert(out.includes("The server closed the connection"), out);
  } finally {
    server.kill("SIGTERM");
    await server.status;
    await server.stdout.cancel();
    await server.stderr.cancel();
  }
});
