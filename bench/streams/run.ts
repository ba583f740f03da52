/**
 * The streams benchmark: the echo ping-pong of `bench/echo` (the same C
 * load generator, 10 clients, 1 KiB) through `startServer`/`openConnection`
 * streams, against a raw `Deno.listen` server, Node's `net` and CPython's
 * (and uvloop's) streams; then `readline` over a 100 MiB stream of 80-byte
 * lines, here and in CPython. One run; writes `bench/out/streams.json`.
 *
 * ```sh
 * deno run -A bench/streams/run.ts [--seconds=3]
 * ```
 *
 * Targets (the streams issue): at least 0.8 times raw Deno's echo rate, at
 * least 2 times CPython's streams, and readline at least 200 MB/s.
 *
 * @module
 */

const ROOT = new URL("../..", import.meta.url).pathname;
const OUT = `${ROOT}bench/out`;
const LOADGEN = `${OUT}/loadgen`;
const seconds = Number(
  Deno.args.find((a) => a.startsWith("--seconds="))?.slice("--seconds=".length) ?? 3,
);

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(cmd, { args, cwd: ROOT, stdin: "null" }).output();
  return { code: output.code, out: new TextDecoder().decode(output.stdout) };
}

async function have(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await run(cmd, args)).code === 0;
  } catch {
    return false;
  }
}

async function ensureLoadgen(): Promise<void> {
  await Deno.mkdir(OUT, { recursive: true });
  const source = `${ROOT}bench/echo/loadgen.c`;
  const built = await Deno.stat(LOADGEN).catch(() => null);
  if (built && built.mtime! >= (await Deno.stat(source)).mtime!) return;
  const cc = await run("cc", ["-O2", "-o", LOADGEN, source]);
  if (cc.code !== 0) throw new Error("could not build the load generator (cc)");
}

const pin = await have("taskset", ["-c", "0", "true"]);
const uvloop = await have("/usr/bin/python3", ["-c", "import uvloop"]);

interface Server {
  label: string;
  cmd: string;
  args: string[];
}

const servers: Server[] = [
  {
    label: "this library (streams)",
    cmd: Deno.execPath(),
    args: ["run", "-A", "bench/streams/streams_server.ts"],
  },
  { label: "raw Deno", cmd: Deno.execPath(), args: ["run", "-A", "bench/echo/raw_deno_server.ts"] },
  { label: "Node net", cmd: "node", args: ["bench/echo/node_server.mjs"] },
  { label: "CPython streams", cmd: "python3", args: ["bench/streams/py_streams_server.py"] },
];
if (uvloop) {
  servers.push({
    label: "uvloop streams",
    cmd: "/usr/bin/python3",
    args: ["bench/streams/py_streams_server.py", "--uvloop"],
  });
}

async function echoRate(server: Server): Promise<number> {
  const [cmd, args] = pin
    ? ["taskset", ["-c", "1", server.cmd, ...server.args]]
    : [server.cmd, server.args];
  const child = new Deno.Command(cmd as string, {
    args: args as string[],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!/LISTENING (\d+)/.test(text)) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`${server.label} exited before listening`);
      text += value;
    }
    lines.releaseLock();
    const port = /LISTENING (\d+)/.exec(text)![1];
    const loadArgs = ["127.0.0.1", port, "10", "1024", String(seconds), "--warmup=1"];
    const result = pin
      ? await run("taskset", ["-c", "0", LOADGEN, ...loadArgs, "--spin"])
      : await run(LOADGEN, loadArgs);
    if (result.code !== 0) throw new Error(`loadgen failed against ${server.label}`);
    return JSON.parse(result.out.trim().split("\n").at(-1)!).rps;
  } finally {
    try {
      child.kill("SIGTERM");
    } catch {
      // exited
    }
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
}

await ensureLoadgen();
const rates: Record<string, number> = {};
for (const server of servers) {
  rates[server.label] = await echoRate(server);
  console.log(`${server.label}: ${Math.round(rates[server.label])} req/s`);
}

const ours = JSON.parse(
  (await run(Deno.execPath(), ["run", "-A", "bench/streams/readline.ts"])).out,
);
const cpython = JSON.parse((await run("python3", ["bench/streams/readline.py"])).out);
const uv = uvloop
  ? JSON.parse((await run("/usr/bin/python3", ["bench/streams/readline.py", "--uvloop"])).out)
  : null;

const lib = rates["this library (streams)"];
const fmt = (n: number) => `${(n / 1000).toFixed(1)}k`;
const lines = [
  `Streams echo, 10 clients, 1 KiB ping-pong, ${seconds} s after 1 s of warm-up` +
  (pin ? "; load generator on CPU 0, server on CPU 1 (taskset)" : "") + ".",
  "",
  "| this library | raw Deno | Node net | CPython streams | uvloop streams | vs raw Deno (≥0.8) | vs CPython (≥2) |",
  "|---|---|---|---|---|---|---|",
  `| ${fmt(lib)} | ${fmt(rates["raw Deno"])} | ${fmt(rates["Node net"])} | ${
    fmt(rates["CPython streams"])
  } | ${uvloop ? fmt(rates["uvloop streams"]) : "—"} | ${(lib / rates["raw Deno"]).toFixed(2)}× | ${
    (lib / rates["CPython streams"]).toFixed(2)
  }× |`,
  "",
  "| readline, 100 MiB of 80-byte lines | this library | CPython | uvloop | target |",
  "|---|---|---|---|---|",
  `| MB/s | ${ours.mb_per_s.toFixed(0)} | ${cpython.mb_per_s.toFixed(0)} | ${
    uv ? uv.mb_per_s.toFixed(0) : "—"
  } | ≥200 |`,
];
console.log("\n" + lines.join("\n"));
await Deno.writeTextFile(
  `${OUT}/streams.json`,
  JSON.stringify({ echo_rps: rates, readline: { ours, cpython, uvloop: uv } }, null, 2),
);
await Deno.writeTextFile(`${OUT}/streams.md`, lines.join("\n") + "\n");
