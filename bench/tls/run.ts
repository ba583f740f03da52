/**
 * The TLS echo benchmark: one C load generator with OpenSSL
 * (bench/tls/tls_loadgen.c, compiled on demand into bench/out/tls_loadgen;
 * needs libssl-dev) drives, one after the other, TLS echo servers on this
 * library (`createServer(..., { ssl })`), on raw Deno (`Deno.listenTls`),
 * on Node's `tls`, on CPython's asyncio + ssl, and, for the record, on the
 * design the library did not take (its stream transport straight over
 * `Deno.listenTls` connections). Each server runs in a process of its own
 * on a free loopback port; with `taskset`, the load generator runs on CPU 0
 * and the server on CPU 1.
 *
 * Reference servers, run only when `--servers` names them, tell where the
 * library's TLS cost goes: `denonode` (Deno running node_server.mjs, its
 * node:tls on node:net), `nodewire` (node:tls over a bare `Deno.Conn` read
 * loop, no transports: node_tls_wire_server.ts) and `nodenative` (node:tls
 * natively on a `Deno.Conn`'s socket, the design not taken:
 * node_tls_native_server.ts). `--extra=KEY=FILE` adds any Deno server run
 * as the library's is, for A/B runs (for instance the same
 * bench/tls/asyncio_server.ts in a copy of an earlier commit).
 *
 * Ping-pong: 10 clients, each sends a message (1 KiB, 64 KiB), reads back
 * exactly as many bytes, checks them, and sends the next. Besides req/s,
 * the server's CPU time per round trip (user + system, all its threads,
 * from /proc) is reported: it holds better than throughput when other
 * processes share the CPUs.
 *
 * ```sh
 * deno run -A bench/tls/run.ts                   # the whole benchmark
 * deno run -A bench/tls/run.ts --duration=2 --warmup=0.5 --repeats=1
 * deno run -A bench/tls/run.ts --servers=asyncio,raw --sizes=1024
 * deno run -A bench/tls/run.ts --servers=asyncio,raw,denonode,nodewire,nodenative
 * deno run -A bench/tls/run.ts --servers=asyncio --extra=before=/tmp/old/bench/tls/asyncio_server.ts
 * ```
 *
 * Prints a markdown table and writes bench/out/tls.json and tls.md (or into
 * `$BENCH_OUT`). The
 * certificate (EC P-256, for localhost) is made with `openssl` in a
 * temporary directory.
 *
 * @module
 */
import { formatRatio, machineInfo, markdownTable, median, writeJson } from "../_harness.ts";
import {
  benchPath,
  buildC,
  findPeers,
  findPins,
  gitCommit,
  lastJson,
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
  stopAllOnSignals,
  stopProcess,
} from "../_procs.ts";

const SERVER_KEYS = [
  "asyncio",
  "listentls",
  "raw",
  "denonode",
  "nodewire",
  "nodenative",
  "node",
  "cpython",
] as const;
// Run unless --servers names them: the references that explain the library's cost.
const REFERENCE_KEYS: readonly string[] = ["denonode", "nodewire", "nodenative"];
type ServerKey = typeof SERVER_KEYS[number];

interface Options {
  sizes: number[];
  clients: number;
  duration: number;
  warmup: number;
  repeats: number;
  servers: Set<ServerKey>;
  /** `--extra=KEY=FILE`: more Deno servers (same command line), for A/B comparisons. */
  extra: [string, string][];
  pin: boolean;
}

function usage(message?: string): never {
  if (message) console.error(message);
  console.error(
    "usage: deno run -A bench/tls/run.ts [--sizes=1024,65536] [--clients=10] [--duration=3]\n" +
      `  [--warmup=1] [--repeats=1] [--servers=${SERVER_KEYS.join(",")}] [--no-pin]\n` +
      "  [--extra=KEY=SERVER.ts]... (another Deno server, run as the library's is)",
  );
  Deno.exit(2);
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    sizes: [1024, 64 * 1024],
    clients: 10,
    duration: 3,
    warmup: 1,
    repeats: 1,
    servers: new Set(SERVER_KEYS.filter((key) => !REFERENCE_KEYS.includes(key))),
    extra: [],
    pin: true,
  };
  const num = (flag: string, value: string | undefined) => positive(flag, value, usage);
  for (const arg of args) {
    const eq = arg.indexOf("=");
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? undefined : arg.slice(eq + 1);
    if (flag === "--sizes") {
      options.sizes = (value ?? "").split(",").map((s) => Math.round(num(flag, s)));
    } else if (flag === "--clients") options.clients = Math.round(num(flag, value));
    else if (flag === "--duration") options.duration = num(flag, value);
    else if (flag === "--warmup") options.warmup = value === "0" ? 0 : num(flag, value);
    else if (flag === "--repeats") options.repeats = Math.round(num(flag, value));
    else if (flag === "--no-pin") options.pin = false;
    else if (flag === "--extra") {
      const at = (value ?? "").indexOf("=");
      if (value === undefined || at <= 0) usage("--extra needs KEY=FILE");
      options.extra.push([value.slice(0, at), value.slice(at + 1)]);
    } else if (flag === "--servers") {
      options.servers = parseKeys(value, SERVER_KEYS, usage);
    } else if (flag === "--help") usage();
    else usage(`unknown option ${arg}`);
  }
  return options;
}

// ---- processes -------------------------------------------------------------------------

const path = (name: string) => benchPath(`tls/${name}`);
let LOADGEN = "";

/** A certificate for localhost (EC P-256), made with openssl in `dir`. */
async function makeCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = `${dir}/server.pem`;
  const key = `${dir}/server.key`;
  const result = await runProcess([
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
  ], 60);
  if (result.code !== 0) throw new Error(`openssl failed: ${result.stderr}`);
  return { cert, key };
}

// ---- servers ----------------------------------------------------------------------------

type ServerSpec = Spec;

async function findServers(options: Options, notes: string[]): Promise<ServerSpec[]> {
  const deno = [Deno.execPath(), "run", "--allow-net", "--allow-read"];
  const denoVersion = `Deno ${Deno.version.deno}`;
  const peers = await findPeers(false);
  notes.push(...peers.notes.filter((n) => !n.includes("uvloop")));
  const specs: ServerSpec[] = [
    {
      key: "asyncio",
      label: "this library",
      command: [...deno, path("asyncio_server.ts")],
      version: `${denoVersion} @asyncio/asyncio (node:tls over its own TCP transport)`,
    },
    {
      key: "listentls",
      label: "library on Deno.listenTls (not taken)",
      command: [...deno, path("asyncio_listentls_server.ts")],
      version: `${denoVersion} @asyncio/asyncio StreamTransport over Deno.TlsConn`,
    },
    {
      key: "raw",
      label: "raw Deno.listenTls",
      command: [...deno, path("raw_deno_server.ts")],
      version: denoVersion,
    },
    {
      key: "denonode",
      label: "Deno node:tls",
      command: [...deno, "--allow-env", path("node_server.mjs")],
      version: `${denoVersion} running bench/tls/node_server.mjs`,
    },
    {
      key: "nodewire",
      label: "node:tls over a read loop",
      command: [...deno, path("node_tls_wire_server.ts")],
      version: `${denoVersion} node:tls over Deno.Conn bytes, no transports`,
    },
    {
      key: "nodenative",
      label: "node:tls on the TCP socket (not taken)",
      command: [...deno, path("node_tls_native_server.ts")],
      version: `${denoVersion} node:tls native on a Deno.Conn's socket (openFromRid)`,
    },
    ...peerServers(peers, { node: path("node_server.mjs"), python: path("py_server.py") }, {
      node: "Node tls",
      cpython: "CPython asyncio ssl",
    }).map((spec) => spec.key === "cpython" ? { ...spec, version: `${spec.version} + ssl` } : spec),
  ];
  const chosen = specs.filter((spec) => options.servers.has(spec.key as ServerKey));
  for (const [key, file] of options.extra) {
    chosen.push({
      key,
      label: key,
      command: [...deno, "--allow-env", file],
      version: `${denoVersion} ${file}`,
    });
  }
  return chosen;
}

interface LoadResult {
  clients: number;
  size: number;
  requests: number;
  bytes: number;
  seconds: number;
  rps: number;
  mib_per_s: number;
  handshake_seconds: number;
  total_requests: number;
  /** The server's CPU time per round trip, in µs (warm-up included). */
  server_cpu_us_per_request?: number;
}

async function measure(
  spec: ServerSpec,
  size: number,
  options: Options,
  pins: Pins,
  certificate: { cert: string; key: string },
): Promise<LoadResult> {
  const server = await startListening([
    ...pins.server,
    ...spec.command,
    `--cert=${certificate.cert}`,
    `--key=${certificate.key}`,
  ], spec.label);
  try {
    const before = await processCpuSeconds(server.child.pid);
    const result = await runProcess([
      ...pins.client,
      LOADGEN,
      "127.0.0.1",
      String(server.port),
      String(options.clients),
      String(size),
      String(options.duration),
      `--warmup=${options.warmup}`,
    ], options.warmup + options.duration + 60);
    const after = await processCpuSeconds(server.child.pid);
    if (result.code !== 0) {
      throw new Error(`loadgen exit ${result.code}: ${result.stderr.trim() || result.stdout}`);
    }
    const parsed = lastJson<LoadResult>(result.stdout);
    if (before !== undefined && after !== undefined && parsed.total_requests > 0) {
      parsed.server_cpu_us_per_request = (after - before) * 1e6 / parsed.total_requests;
    }
    return parsed;
  } catch (error) {
    throw new Error(`${(error as Error).message} (server stderr: ${server.stderr.text.trim()})`);
  } finally {
    await stopProcess(server.child);
  }
}

// ---- the report -----------------------------------------------------------------------------

interface Cell {
  runs: LoadResult[];
  errors: string[];
  best?: number;
  median?: number;
  cpu?: number;
}

function summarize(cell: Cell): void {
  if (cell.runs.length === 0) return;
  const values = cell.runs.map((r) => r.rps);
  cell.best = Math.max(...values);
  cell.median = median(values);
  const cpus = cell.runs.map((r) => r.server_cpu_us_per_request).filter((v) => v !== undefined);
  if (cpus.length > 0) cell.cpu = Math.min(...(cpus as number[]));
}

function formatSize(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

function formatRate(cell: Cell | undefined, size: number): string {
  if (cell?.best === undefined) return "—";
  const rps = cell.best;
  const mib = rps * size / (1024 * 1024);
  const r = rps >= 1e4 ? `${(rps / 1000).toFixed(1)}k` : `${Math.round(rps)}`;
  return `${r} (${mib.toFixed(0)} MiB/s)`;
}

function ratio(cells: Record<string, Cell>, against: ServerKey, target?: number): string {
  const ours = cells.asyncio?.best;
  const theirs = cells[against]?.best;
  if (ours === undefined || theirs === undefined || !(theirs > 0)) return "—";
  const value = ours / theirs;
  return target === undefined
    ? formatRatio(value)
    : `${formatRatio(value)} ${value >= target ? "✓" : "✗"}`;
}

function table(rows: { size: number; cells: Record<string, Cell> }[], specs: ServerSpec[]): string {
  const keys = specs.map((s) => s.key);
  const headers = [
    "size",
    ...specs.map((s) => `${s.label} req/s`),
    "ratio vs raw Deno (≥0.9)",
    "vs Node",
    "vs CPython (≥1)",
    "server CPU µs/round trip (" + specs.map((s) => s.key).join(" / ") + ")",
  ];
  const body = rows.map(({ size, cells }) => [
    formatSize(size),
    ...keys.map((k) => formatRate(cells[k], size)),
    ratio(cells, "raw", 0.9),
    ratio(cells, "node"),
    ratio(cells, "cpython", 1),
    keys.map((k) => cells[k]?.cpu === undefined ? "—" : cells[k].cpu!.toFixed(0)).join(" / "),
  ]);
  return markdownTable(headers, body);
}

async function main(): Promise<void> {
  const options = parseOptions(Deno.args);
  const notes: string[] = [];
  LOADGEN = await buildC("tls/tls_loadgen.c", "tls_loadgen", {
    flags: ["-pthread"],
    libs: ["-lssl", "-lcrypto"],
    hint: " (is libssl-dev installed?)",
  });
  const pins = await findPins(options.pin, false);
  const specs = await findServers(options, notes);
  const dir = await Deno.makeTempDir({ prefix: "bench-tls-" });
  const rows: { size: number; cells: Record<string, Cell> }[] = [];
  try {
    const certificate = await makeCertificate(dir);
    for (const note of notes) console.error(`note: ${note}`);
    console.error(`pinning: ${pins.note}`);
    for (const size of options.sizes) {
      const cells: Record<string, Cell> = {};
      for (const spec of specs) cells[spec.key] = { runs: [], errors: [] };
      // Round robin, so that a drift of the machine weighs on every server.
      for (let repeat = 0; repeat < options.repeats; repeat++) {
        for (const spec of specs) {
          try {
            const result = await measure(spec, size, options, pins, certificate);
            cells[spec.key].runs.push(result);
            console.error(
              `${formatSize(size)} ${spec.label}: ${Math.round(result.rps)} req/s, ` +
                `${result.server_cpu_us_per_request?.toFixed(1) ?? "?"} µs CPU/round trip`,
            );
          } catch (error) {
            const message = (error as Error).message;
            cells[spec.key].errors.push(message);
            notes.push(`${formatSize(size)} on ${spec.label} failed: ${message}`);
            console.error(`${formatSize(size)} ${spec.label}: FAILED: ${message}`);
          }
        }
      }
      for (const cell of Object.values(cells)) summarize(cell);
      rows.push({ size, cells });
    }
  } finally {
    await stopAll(1);
    await Deno.remove(dir, { recursive: true });
  }
  const machine = await machineInfo();
  const header =
    `TLS echo, ${options.clients} clients ping-pong, ${options.duration} s per server ` +
    `and size after ${options.warmup} s of warm-up, best of ${options.repeats}; ` +
    `${Object.values(machine).join(", ")}; ${pins.note}.\n` +
    specs.map((s) => `${s.label}: ${s.version}`).join("; ") + ".";
  const markdown = `${header}\n\n${table(rows, specs)}\n\n` +
    "ratio = this library / the other (>1: this library is faster). The server's CPU time " +
    "per round trip (user + system of all its threads, warm-up included) holds when other " +
    "processes share the machine; req/s does not.\n" +
    (notes.length > 0 ? `\nNotes:\n${notes.map((n) => `- ${n}`).join("\n")}\n` : "");
  console.log(markdown);
  await writeJson(`${OUT}tls.json`, {
    benchmark: "tls",
    date: new Date().toISOString(),
    commit: await gitCommit(),
    machine,
    pinning: pins.note,
    options: { ...options, servers: [...options.servers] },
    servers: Object.fromEntries(specs.map((s) => [s.key, { label: s.label, version: s.version }])),
    notes,
    rows,
  });
  await Deno.writeTextFile(`${OUT}tls.md`, markdown);
}

if (import.meta.main) {
  const removeSignalListeners = stopAllOnSignals();
  try {
    await main();
  } finally {
    await stopAll();
    removeSignalListeners();
  }
}
