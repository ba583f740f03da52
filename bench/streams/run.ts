/**
 * The streams benchmark: the echo ping-pong of `bench/echo` (the same C
 * load generator, 10 clients, 1 KiB) through `startServer`/`openConnection`
 * streams, against a raw `Deno.listen` server, Node's `net` and CPython's
 * (and uvloop's) streams; then `readline` over a 100 MiB stream of 80-byte
 * lines, here and in CPython. One run; writes `bench/out/streams.json`.
 *
 * ```sh
 * deno run -A bench/streams/run.ts [--seconds=3] [--warmup=1] [--readline-bytes=104857600]
 * ```
 *
 * Targets (the streams issue): at least 0.8 times raw Deno's echo rate, at
 * least 2 times CPython's streams, and readline at least 200 MB/s.
 *
 * @module
 */
import { machineInfo, writeJson } from "../_harness.ts";
import {
  benchPath,
  buildC,
  findPeers,
  findPins,
  lastJson,
  OUT,
  peerServers,
  type Pins,
  runProcess,
  startListening,
  stopAll,
  stopProcess,
} from "../_procs.ts";

function usage(): never {
  console.error(
    "usage: deno run -A bench/streams/run.ts [--seconds=3] [--warmup=1] " +
      "[--readline-bytes=104857600]",
  );
  Deno.exit(2);
}

for (const arg of Deno.args) {
  if (!/^--(seconds|warmup|readline-bytes)=/.test(arg)) usage();
}

function option(name: string, fallback: number): number {
  const value = Deno.args.findLast((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const n = Number(value ?? fallback);
  if (!(n >= 0) || !Number.isFinite(n)) usage();
  return n;
}
const seconds = option("seconds", 3);
const warmup = option("warmup", 1);
const readlineBytes = option("readline-bytes", 100 * 1024 * 1024);

interface Server {
  label: string;
  command: string[];
}

async function echoRate(server: Server, loadgen: string, pins: Pins): Promise<number> {
  const child = await startListening([...pins.server, ...server.command], server.label);
  try {
    const loadArgs = ["127.0.0.1", String(child.port), "10", "1024", String(seconds)];
    const result = await runProcess(
      [...pins.client, loadgen, ...loadArgs, `--warmup=${warmup}`, ...pins.clientFlags],
      seconds + warmup + 60,
    );
    if (result.code !== 0) {
      throw new Error(`loadgen failed against ${server.label}: ${result.stderr.trim()}`);
    }
    return lastJson<{ rps: number }>(result.stdout).rps;
  } finally {
    await stopProcess(child.child);
  }
}

/** Runs a readline script and parses what it prints. */
async function readline(command: string[]): Promise<{ mb_per_s: number } | null> {
  const result = await runProcess([...command, String(readlineBytes)], 600);
  if (result.code !== 0) {
    console.error(`${command.join(" ")} failed: ${result.stderr.trim()}`);
    return null;
  }
  return lastJson<{ mb_per_s: number }>(result.stdout);
}

async function main(): Promise<void> {
  const loadgen = await buildC("echo/loadgen.c", "loadgen");
  const pins = await findPins(true);
  const peers = await findPeers(true);
  for (const note of peers.notes) console.error(`note: ${note}`);
  const deno = [Deno.execPath(), "run", "-A"];
  const servers: Server[] = [
    { label: "this library (streams)", command: [...deno, benchPath("streams/streams_server.ts")] },
    { label: "raw Deno", command: [...deno, benchPath("echo/raw_deno_server.ts")] },
    ...peerServers(
      peers,
      {
        node: benchPath("echo/node_server.mjs"),
        python: benchPath("streams/py_streams_server.py"),
      },
      { node: "Node net", cpython: "CPython streams", uvloop: "uvloop streams" },
    ),
  ];

  const rates: Record<string, number> = {};
  for (const server of servers) {
    rates[server.label] = await echoRate(server, loadgen, pins);
    console.log(`${server.label}: ${Math.round(rates[server.label])} req/s`);
  }

  const py = benchPath("streams/readline.py");
  const ours = await readline([...deno, benchPath("streams/readline.ts")]);
  const cpython = peers.cpython ? await readline([peers.cpython.command, py]) : null;
  const uv = peers.uvloop ? await readline([peers.uvloop.command, py, "--uvloop"]) : null;

  const lib = rates["this library (streams)"];
  const fmt = (n: number | undefined) => n === undefined ? "—" : `${(n / 1000).toFixed(1)}k`;
  const times = (n: number | undefined) => n === undefined ? "—" : `${(lib / n).toFixed(2)}×`;
  const mbs = (r: { mb_per_s: number } | null) => r ? r.mb_per_s.toFixed(0) : "—";
  const lines = [
    `Streams echo, 10 clients, 1 KiB ping-pong, ${seconds} s after ${warmup} s of warm-up; ` +
    `${pins.note}.`,
    "",
    "| this library | raw Deno | Node net | CPython streams | uvloop streams | vs raw Deno (≥0.8) | vs CPython (≥2) |",
    "|---|---|---|---|---|---|---|",
    `| ${fmt(lib)} | ${fmt(rates["raw Deno"])} | ${fmt(rates["Node net"])} | ${
      fmt(rates["CPython streams"])
    } | ${fmt(rates["uvloop streams"])} | ${times(rates["raw Deno"])} | ${
      times(rates["CPython streams"])
    } |`,
    "",
    `| readline, ${readlineBytes} bytes of 80-byte lines | this library | CPython | uvloop | target |`,
    "|---|---|---|---|---|",
    `| MB/s | ${mbs(ours)} | ${mbs(cpython)} | ${mbs(uv)} | ≥200 |`,
  ];
  console.log("\n" + lines.join("\n"));
  await writeJson(`${OUT}streams.json`, {
    benchmark: "streams",
    date: new Date().toISOString(),
    machine: await machineInfo(),
    pinning: pins.note,
    options: { seconds, warmup, readlineBytes },
    echo_rps: rates,
    readline: { ours, cpython, uvloop: uv },
  });
  await Deno.writeTextFile(`${OUT}streams.md`, lines.join("\n") + "\n");
}

try {
  await main();
} finally {
  await stopAll();
}
