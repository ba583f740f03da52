/**
 * The UDP benchmark, and the sendfile benchmark.
 *
 * UDP echo: the same C client (bench/udp/loadgen.c, compiled on demand into
 * bench/out/udp_loadgen) drives, one after the other, UDP echo servers on
 * this library (`createDatagramEndpoint` + a `DatagramProtocol`), on raw
 * Deno (`Deno.listenDatagram`: the plain receive/await-send loop, and a
 * pipelined one), on Node's `dgram`, on CPython's asyncio and on uvloop
 * (when `/usr/bin/python3 -c "import uvloop"` works). Windowed ping-pong:
 * 32 datagrams in flight (a blast would overflow loopback and measure
 * drops), 64-byte and 1 KiB datagrams, every byte checked.
 *
 * sendfile: a file (1 GiB by default, made once in bench/out/) goes to a C
 * sink (`udp_loadgen sink`) through this library's `loop.sendfile` on a TCP
 * transport (the direct path; and with `--through`, also the path through
 * `transport.write()` that TLS transports take), and through a raw Deno copy
 * loop (`file.read` into 64 KiB, `conn.write`), with the sender's memory.
 *
 * Each server and sender runs in a process of its own; with `taskset`, the
 * client (or sink) runs on CPU 0 and the server (or sender) on CPU 1.
 *
 * ```sh
 * deno run -A bench/udp/run.ts                       # the whole benchmark
 * deno run -A bench/udp/run.ts --duration=5 --sendfile=268435456
 * deno run -A bench/udp/run.ts --servers=asyncio,raw --no-sendfile
 * ```
 *
 * Prints markdown tables (ratios: this library's rate ÷ the other's, so
 * above 1 means this library is faster) and writes bench/out/udp.json.
 *
 * @module
 */
import { formatBytes, formatRatio, machineInfo, markdownTable, writeJson } from "../_harness.ts";
import {
  benchPath,
  BUILD_DIR,
  buildC,
  findPeers,
  findPins,
  killQuietly,
  lastJson,
  type Listening,
  OUT,
  parseKeys,
  peerServers,
  type Pins,
  positive,
  processCpuSeconds,
  runProcess,
  type ServerSpec as Spec,
  startListening,
  stopAll,
  stopProcess,
} from "../_procs.ts";

const SERVER_KEYS = ["asyncio", "raw", "raw-pipelined", "node", "cpython", "uvloop"] as const;
type ServerKey = typeof SERVER_KEYS[number];

interface Options {
  sizes: number[];
  window: number;
  duration: number;
  warmup: number;
  servers: Set<ServerKey>;
  sendfileBytes: number;
  sendfile: boolean;
  through: boolean;
  pin: boolean;
}

function usage(message?: string): never {
  if (message) console.error(message);
  console.error(
    "usage: deno run -A bench/udp/run.ts [--sizes=64,1024] [--window=32] [--duration=3]\n" +
      "  [--warmup=1] [--servers=" + SERVER_KEYS.join(",") + "]\n" +
      "  [--sendfile=BYTES | --no-sendfile] [--through] [--no-pin]",
  );
  Deno.exit(2);
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    sizes: [64, 1024],
    window: 32,
    duration: 3,
    warmup: 1,
    servers: new Set(SERVER_KEYS),
    sendfileBytes: 1024 ** 3,
    sendfile: true,
    through: false,
    pin: true,
  };
  const num = (flag: string, value: string | undefined) => positive(flag, value, usage);
  for (const arg of args) {
    const [flag, value] = arg.split("=", 2);
    if (flag === "--sizes") {
      options.sizes = (value ?? "").split(",").map((s) => Math.round(num(flag, s)));
    } else if (flag === "--window") options.window = Math.round(num(flag, value));
    else if (flag === "--duration") options.duration = num(flag, value);
    else if (flag === "--warmup") options.warmup = value === "0" ? 0 : num(flag, value);
    else if (flag === "--sendfile") options.sendfileBytes = Math.round(num(flag, value));
    else if (flag === "--no-sendfile") options.sendfile = false;
    else if (flag === "--through") options.through = true;
    else if (flag === "--no-pin") options.pin = false;
    else if (flag === "--servers") {
      options.servers = parseKeys(value, SERVER_KEYS, usage);
    } else if (flag === "--help") usage();
    else usage(`unknown option ${arg}`);
  }
  return options;
}

// ---- processes ---------------------------------------------------------------------

const path = (name: string) => benchPath(`udp/${name}`);
let LOADGEN = "";

// ---- UDP echo --------------------------------------------------------------------

type ServerSpec = Spec<ServerKey>;

async function findServers(options: Options, notes: string[]): Promise<ServerSpec[]> {
  const denoVersion = `Deno ${Deno.version.deno}`;
  const denoRun = [Deno.execPath(), "run", "--allow-net", "--unstable-net"];
  const peers = await findPeers(options.servers.has("uvloop"));
  notes.push(...peers.notes);
  const specs: ServerSpec[] = [
    {
      key: "asyncio",
      label: "this library",
      command: [...denoRun, path("asyncio_server.ts")],
      version: `${denoVersion} @asyncio/asyncio`,
    },
    {
      key: "raw",
      label: "raw Deno (receive, await send)",
      command: [...denoRun, path("raw_deno_server.ts")],
      version: denoVersion,
    },
    {
      key: "raw-pipelined",
      label: "raw Deno (pipelined sends)",
      command: [...denoRun, path("raw_deno_server.ts"), "--pipelined"],
      version: denoVersion,
    },
    ...peerServers(peers, { node: path("node_server.mjs"), python: path("py_server.py") }, {
      node: "Node dgram",
      cpython: "CPython asyncio",
    }),
  ];
  return specs.filter((spec) => options.servers.has(spec.key));
}

interface EchoResult {
  server: ServerKey;
  label: string;
  version: string;
  size: number;
  window: number;
  rps?: number;
  lost?: number;
  requests?: number;
  seconds?: number;
  server_cpu_s?: number;
  error?: string;
}

async function echoRun(
  spec: ServerSpec,
  size: number,
  options: Options,
  pins: Pins,
): Promise<EchoResult> {
  const base = { server: spec.key, label: spec.label, version: spec.version, size };
  let server: Listening;
  try {
    server = await startListening([...pins.server, ...spec.command], spec.label);
  } catch (error) {
    return { ...base, window: options.window, error: (error as Error).message };
  }
  try {
    const cpu0 = await processCpuSeconds(server.child.pid);
    const run = await runProcess([
      ...pins.client,
      LOADGEN,
      "echo",
      "127.0.0.1",
      String(server.port),
      String(size),
      String(options.window),
      String(options.duration),
      `--warmup=${options.warmup}`,
      ...pins.clientFlags,
    ], options.duration + options.warmup + 60);
    const cpu1 = await processCpuSeconds(server.child.pid);
    if (run.code !== 0) {
      return {
        ...base,
        window: options.window,
        error: `client exit ${run.code}: ${run.stderr.trim()} ${server.stderr.text.trim()}`,
      };
    }
    const result = lastJson(run.stdout);
    return {
      ...base,
      window: Number(result.window),
      rps: Number(result.rps),
      lost: Number(result.lost),
      requests: Number(result.requests),
      seconds: Number(result.seconds),
      server_cpu_s: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
    };
  } finally {
    await stopProcess(server.child);
  }
}

// ---- sendfile --------------------------------------------------------------------

interface SendfileResult {
  sender: string;
  label: string;
  bytes: number;
  seconds?: number;
  mib_per_s?: number;
  sender_seconds?: number;
  rss_growth?: number;
  heap_growth?: number;
  error?: string;
}

async function ensureFile(bytes: number): Promise<string> {
  const file = `${BUILD_DIR}sendfile-${bytes}.bin`;
  const stat = await Deno.stat(file).catch(() => null);
  if (stat?.size === bytes) return file;
  await Deno.mkdir(BUILD_DIR, { recursive: true });
  console.error(`writing ${formatBytes(bytes)} to ${file}`);
  const block = new Uint8Array(1024 * 1024);
  for (let i = 0; i < block.length; i += 65536) {
    crypto.getRandomValues(block.subarray(i, i + 65536));
  }
  using out = await Deno.open(file, { write: true, create: true, truncate: true });
  for (let written = 0; written < bytes;) {
    const n = Math.min(block.length, bytes - written);
    let offset = 0;
    while (offset < n) offset += await out.write(block.subarray(offset, n));
    written += n;
  }
  return file;
}

async function sendfileRun(
  sender: string,
  label: string,
  args: string[],
  file: string,
  bytes: number,
  pins: Pins,
): Promise<SendfileResult> {
  const base = { sender, label, bytes };
  let sink: Listening;
  try {
    sink = await startListening([...pins.client, LOADGEN, "sink", "--timeout=600"], "sink");
  } catch (error) {
    return { ...base, error: (error as Error).message };
  }
  try {
    const run = await runProcess([
      ...pins.server,
      Deno.execPath(),
      "run",
      "--allow-all",
      "--v8-flags=--expose-gc",
      path("sendfile_sender.ts"),
      ...args,
      `--port=${sink.port}`,
      `--file=${file}`,
    ], 600);
    await sink.child.status;
    await sink.done;
    if (run.code !== 0) return { ...base, error: `sender exit ${run.code}: ${run.stderr.trim()}` };
    const sent = lastJson(run.stdout);
    const received = lastJson(sink.stdout.text);
    if (received.bytes !== bytes || sent.bytes !== bytes) {
      return { ...base, error: `sent ${sent.bytes}, sink got ${received.bytes} of ${bytes}` };
    }
    return {
      ...base,
      seconds: Number(received.seconds),
      mib_per_s: Number(received.mib_per_s),
      sender_seconds: Number(sent.seconds),
      rss_growth: Number(sent.rss_growth),
      heap_growth: Number(sent.heap_growth),
    };
  } finally {
    killQuietly(sink.child, "SIGKILL");
    await sink.child.status;
  }
}

// ---- main ----------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  LOADGEN = await buildC("udp/loadgen.c", "udp_loadgen");
  const notes: string[] = [];
  const pins = await findPins(options.pin);
  notes.push(pins.note);
  const servers = await findServers(options, notes);
  for (const note of notes) console.error(`note: ${note}`);

  const echo: EchoResult[] = [];
  for (const size of options.sizes) {
    for (const spec of servers) {
      console.error(`udp echo: ${spec.label}, ${size} B, window ${options.window}`);
      const result = await echoRun(spec, size, options, pins);
      if (result.error) console.error(`  error: ${result.error}`);
      else console.error(`  ${result.rps!.toFixed(0)} datagrams/s, lost ${result.lost}`);
      echo.push(result);
    }
  }

  const sendfile: SendfileResult[] = [];
  if (options.sendfile) {
    const file = await ensureFile(options.sendfileBytes);
    const senders: [string, string, string[]][] = [
      ["asyncio", "this library: loop.sendfile on a TCP transport", ["--mode=asyncio"]],
      ["raw", "raw Deno: file.read + conn.write, 64 KiB", ["--mode=raw"]],
    ];
    if (options.through) {
      senders.push([
        "asyncio-through",
        "this library: through transport.write() (the TLS path)",
        ["--mode=asyncio", "--through"],
      ]);
    }
    for (const [key, label, args] of senders) {
      console.error(`sendfile: ${label}, ${formatBytes(options.sendfileBytes)}`);
      const result = await sendfileRun(key, label, args, file, options.sendfileBytes, pins);
      if (result.error) console.error(`  error: ${result.error}`);
      else console.error(`  ${result.mib_per_s!.toFixed(0)} MiB/s`);
      sendfile.push(result);
    }
  }

  // ---- report ----
  const ours = (size: number) => echo.find((r) => r.server === "asyncio" && r.size === size)?.rps;
  const sizeLabel = (size: number) => size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
  const headers = ["server"];
  for (const size of options.sizes) {
    headers.push(`${sizeLabel(size)}: datagrams/s`, `${sizeLabel(size)}: this ÷ it`);
  }
  headers.push("lost");
  const rows = servers.map((spec) => {
    const row = [spec.label];
    let lost = 0;
    for (const size of options.sizes) {
      const r = echo.find((e) => e.server === spec.key && e.size === size);
      const mine = ours(size);
      row.push(
        r?.rps === undefined ? (r?.error ? "error" : "—") : r.rps.toFixed(0),
        r?.rps === undefined || mine === undefined ? "—" : formatRatio(mine / r.rps),
      );
      lost += r?.lost ?? 0;
    }
    row.push(String(lost));
    return row;
  });
  console.log(
    `\nUDP echo, windowed ping-pong (${options.window} in flight, ${options.duration} s):\n`,
  );
  console.log(markdownTable(headers, rows));
  if (sendfile.length > 0) {
    const raw = sendfile.find((r) => r.sender === "raw")?.mib_per_s;
    console.log(`\nsendfile of ${formatBytes(options.sendfileBytes)} (sink: C, 1 MiB reads):\n`);
    console.log(markdownTable(
      ["sender", "MiB/s", "÷ raw", "RSS growth", "heap growth"],
      sendfile.map((r) => [
        r.label,
        r.mib_per_s === undefined ? "error" : r.mib_per_s.toFixed(0),
        r.mib_per_s === undefined || raw === undefined ? "—" : formatRatio(r.mib_per_s / raw),
        r.rss_growth === undefined ? "—" : formatBytes(r.rss_growth),
        r.heap_growth === undefined ? "—" : formatBytes(r.heap_growth),
      ]),
    ));
  }
  for (const note of notes) console.log(`\n- ${note}`);
  await writeJson(`${OUT}udp.json`, {
    date: new Date().toISOString(),
    machine: await machineInfo(),
    options: { ...options, servers: [...options.servers] },
    notes,
    echo,
    sendfile,
  });
  console.error(`wrote ${OUT}udp.json`);
}

try {
  await main();
} finally {
  await stopAll(3);
}
