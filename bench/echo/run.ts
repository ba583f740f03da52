/**
 * The TCP echo benchmark: the same C load generator (bench/echo/loadgen.c,
 * compiled on demand into bench/out/loadgen) drives, one after the other,
 * echo servers on this library (`createServer` + a `Protocol`), on raw
 * Deno (`conn.read`/`conn.write`), on Node's `net`, on CPython's asyncio
 * and on uvloop (when `/usr/bin/python3 -c "import uvloop"` works). Each
 * server runs in a process of its own on a free loopback port; with
 * `taskset`, the load generator runs on CPU 0 and the server on CPU 1.
 *
 * Ping-pong: 10 clients, each sends a message (1 KiB, 16 KiB, 100 KiB),
 * reads back exactly as many bytes, checks them, and sends the next. Bulk:
 * one connection sends 1 GiB to a server started with `--sink`, which only
 * counts and answers the count at EOF.
 *
 * ```sh
 * deno run -A bench/echo/run.ts                      # the whole benchmark
 * deno run -A bench/echo/run.ts --repeats=3 --duration=3 --warmup=1
 * deno run -A bench/echo/run.ts --servers=asyncio,raw --sizes=1024 --no-bulk
 * deno run -A bench/echo/run.ts --profile            # profile this library's server
 * ```
 *
 * Prints a markdown table and writes bench/out/echo.json (and echo.md);
 * `--check` exits with status 1 when a target of the issue (at 1 KiB and
 * for bulk) is missed. `--profile` runs only this library's server under
 * `--cpu-prof` (and raw Deno's, to compare) and prints the self time per
 * function with bench/echo/cpuprofile_summary.mjs.
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
  isShuttingDown,
  lastJson,
  type Listening,
  machineBusySeconds,
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
  waitForQuiet,
} from "../_procs.ts";

// ---- options -----------------------------------------------------------------------

const SERVER_KEYS = ["asyncio", "raw", "node", "cpython", "uvloop"] as const;
type ServerKey = typeof SERVER_KEYS[number];

interface Options {
  sizes: number[];
  clients: number;
  duration: number;
  warmup: number;
  repeats: number;
  bulkBytes: number;
  bulk: boolean;
  servers: Set<ServerKey>;
  pin: boolean;
  /** Seconds to wait, before each run, for the machine's other processes to calm down. */
  quietWait: number;
  check: boolean;
  profile: boolean;
}

function usage(message?: string): never {
  if (message) console.error(message);
  console.error(
    "usage: deno run -A bench/echo/run.ts [--sizes=1024,16384,102400] [--clients=10]\n" +
      "  [--duration=3] [--warmup=1] [--repeats=1] [--bulk=1073741824 | --no-bulk]\n" +
      `  [--servers=${SERVER_KEYS.join(",")}] [--no-pin] [--check] [--profile]`,
  );
  Deno.exit(2);
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    sizes: [1024, 16 * 1024, 100 * 1024],
    clients: 10,
    duration: 3,
    warmup: 1,
    repeats: 1,
    bulkBytes: 1024 ** 3,
    bulk: true,
    servers: new Set(SERVER_KEYS),
    pin: true,
    quietWait: 10,
    check: false,
    profile: false,
  };
  const num = (flag: string, value: string | undefined) => positive(flag, value, usage);
  for (const arg of args) {
    const [flag, value] = arg.split("=", 2);
    if (flag === "--sizes") {
      options.sizes = (value ?? "").split(",").map((s) => Math.round(num(flag, s)));
    } else if (flag === "--clients") options.clients = Math.round(num(flag, value));
    else if (flag === "--duration") options.duration = num(flag, value);
    else if (flag === "--warmup") options.warmup = value === "0" ? 0 : num(flag, value);
    else if (flag === "--repeats") options.repeats = Math.round(num(flag, value));
    else if (flag === "--bulk") options.bulkBytes = Math.round(num(flag, value));
    else if (flag === "--no-bulk") options.bulk = false;
    else if (flag === "--no-pin") options.pin = false;
    else if (flag === "--quiet-wait") options.quietWait = value === "0" ? 0 : num(flag, value);
    else if (flag === "--check") options.check = true;
    else if (flag === "--profile") options.profile = true;
    else if (flag === "--servers") {
      options.servers = parseKeys(value, SERVER_KEYS, usage);
    } else if (flag === "--help") usage();
    else usage(`unknown option ${arg}`);
  }
  return options;
}

// ---- the load generator ----------------------------------------------------------------

let LOADGEN = "";

/** What the load generator prints. */
interface LoadResult {
  mode: "echo" | "sink";
  clients: number;
  size: number;
  requests: number;
  bytes: number;
  seconds: number;
  rps: number;
  mbps: number;
  mib_per_s: number;
  /** The load generator's CPU time (user + system). */
  cpu_s: number;
  /** Added by the driver: the load generator's wall time (warm-up included). */
  wall_s?: number;
  /** Added by the driver: the server's CPU time meanwhile. */
  server_cpu_s?: number;
  /** `server_cpu_s / wall_s`: below 1, the server waited for the network or the client. */
  server_busy?: number;
  /** Added by the driver: how many CPUs the machine's other processes kept busy meanwhile. */
  other_cpus?: number;
}

// ---- the servers ------------------------------------------------------------------------

type ServerSpec = Spec<ServerKey>;

async function startServer(
  spec: ServerSpec,
  sink: boolean,
  pin: string[],
  extraDenoFlags: string[] = [],
): Promise<Listening> {
  const command = [...spec.command];
  if (extraDenoFlags.length > 0) command.splice(2, 0, ...extraDenoFlags); // after "deno run"
  if (sink) command.push("--sink");
  return await startListening([...pin, ...command], `${spec.label} server`);
}

// ---- CPU accounting ---------------------------------------------------------------------

// Set from --quiet-wait: how long each run may wait for a quiet machine.
let quietWaitSeconds = 10;

/**
 * Runs the load generator against `server` and parses its JSON, adding
 * what the CPUs did meanwhile: the server's CPU time and the CPUs that
 * other processes of the machine used (a benchmark sharing the machine
 * with other work measures that work too).
 */
async function runLoadgen(
  server: Listening,
  args: string[],
  pins: Pins,
  timeoutSeconds: number,
): Promise<LoadResult> {
  const busy0 = await machineBusySeconds();
  const server0 = await processCpuSeconds(server.child.pid);
  const t0 = performance.now();
  const run = await runProcess(
    [...pins.client, LOADGEN, ...args, ...pins.clientFlags],
    timeoutSeconds,
  );
  const wall = (performance.now() - t0) / 1000;
  const server1 = await processCpuSeconds(server.child.pid);
  const busy1 = await machineBusySeconds();
  if (run.code !== 0) {
    const why = server.stderr.text.trim();
    throw new Error(
      `loadgen exit code ${run.code}: ${run.stderr.trim() || run.stdout.trim()}` +
        (why ? ` (server stderr: ${why})` : ""),
    );
  }
  let result: LoadResult;
  try {
    result = lastJson<LoadResult>(run.stdout);
  } catch {
    throw new Error(`loadgen printed no JSON: ${run.stdout.trim()}`);
  }
  result.wall_s = wall;
  if (server0 !== undefined && server1 !== undefined) {
    result.server_cpu_s = server1 - server0;
    result.server_busy = result.server_cpu_s / wall;
    if (busy0 !== undefined && busy1 !== undefined) {
      const others = busy1 - busy0 - result.server_cpu_s - result.cpu_s;
      result.other_cpus = Math.max(0, others / wall);
    }
  }
  return result;
}

/** The load generator's arguments for a ping-pong run at `size`. */
function pingPongArgs(options: Options, size: number): (port: number) => string[] {
  return (port) => [
    "127.0.0.1",
    String(port),
    String(options.clients),
    String(size),
    String(options.duration),
    `--warmup=${options.warmup}`,
  ];
}

/** Starts a server, runs the load generator against it, stops the server. */
async function measure(
  spec: ServerSpec,
  loadArgs: (port: number) => string[],
  options: {
    sink: boolean;
    pins: Pins;
    timeoutSeconds: number;
    denoFlags?: string[];
    /** How long the server may take to exit (writing a profile takes a while). */
    graceSeconds?: number;
  },
): Promise<LoadResult> {
  if (quietWaitSeconds > 0) await waitForQuiet(quietWaitSeconds, DISTURBED_CPUS);
  const server = await startServer(spec, options.sink, options.pins.server, options.denoFlags);
  try {
    return await runLoadgen(server, loadArgs(server.port), options.pins, options.timeoutSeconds);
  } finally {
    const status = await stopProcess(server.child, options.graceSeconds);
    // A server that died before it was asked to stop is a failure of that server.
    if (status.signal === null && status.code !== 0) {
      console.error(`  ${spec.label} server exit code ${status.code}: ${server.stderr.text}`);
    }
  }
}

async function findServers(options: Options, notes: string[]): Promise<ServerSpec[]> {
  const deno = [Deno.execPath(), "run", "--allow-net"];
  const denoVersion = `Deno ${Deno.version.deno}`;
  const peers = await findPeers(options.servers.has("uvloop"));
  notes.push(...peers.notes.filter((n) => !n.includes("--no-uvloop")));
  const specs: ServerSpec[] = [
    {
      key: "asyncio",
      label: "this library",
      command: [...deno, benchPath("echo/asyncio_server.ts")],
      version: `${denoVersion} @asyncio/asyncio`,
    },
    {
      key: "raw",
      label: "raw Deno",
      command: [...deno, benchPath("echo/raw_deno_server.ts")],
      version: denoVersion,
    },
    ...peerServers(peers, {
      node: benchPath("echo/node_server.mjs"),
      python: benchPath("echo/py_server.py"),
    }),
  ];
  return specs.filter((spec) => options.servers.has(spec.key));
}
// ---- the benchmark ----------------------------------------------------------------------

/** Each server's runs at one size (or the bulk transfer). */
interface Cell {
  runs: LoadResult[];
  errors: string[];
  /** The best run's req/s (echo) or MiB/s (bulk). */
  best?: number;
  median?: number;
  /** How many runs were undisturbed by other processes (those make best and median). */
  quietRuns?: number;
  /** The median of the runs' `server_busy`. */
  serverBusy?: number;
}

interface Report {
  benchmark: "echo";
  date: string;
  /** The library's commit (`git describe --always --dirty`), when known. */
  commit: string;
  machine: Record<string, string>;
  servers: Record<string, { label: string; version: string; command: string[] }>;
  pinning: string;
  options: {
    clients: number;
    duration: number;
    warmup: number;
    repeats: number;
    quietWait: number;
    sizes: number[];
    bulkBytes: number | null;
  };
  notes: string[];
  echo: { size: number; cells: Record<string, Cell> }[];
  bulk: { bytes: number; cells: Record<string, Cell> } | null;
  targets: { row: string; against: string; ratio?: number; target: number; met: boolean }[];
}

// A run during which other processes kept more CPU than this busy is "disturbed".
const DISTURBED_CPUS = 0.25;

/** Best and median of the undisturbed runs (of all runs when every one was disturbed). */
function summarize(cell: Cell, value: (r: LoadResult) => number): void {
  if (cell.runs.length === 0) return;
  const quiet = cell.runs.filter((r) => !((r.other_cpus ?? 0) > DISTURBED_CPUS));
  cell.quietRuns = quiet.length;
  const values = (quiet.length > 0 ? quiet : cell.runs).map(value);
  cell.best = Math.max(...values);
  cell.median = median(values);
  const busy = cell.runs.map((r) => r.server_busy).filter((b) => b !== undefined);
  if (busy.length > 0) cell.serverBusy = median(busy);
}

function formatRate(value: number | undefined, unit: string): string {
  if (value === undefined) return "—";
  if (unit === "req/s") {
    return value >= 1e4 ? `${(value / 1000).toFixed(1)}k` : `${Math.round(value)}`;
  }
  return `${Math.round(value)} ${unit}`;
}

function formatSizeBytes(bytes: number): string {
  if (bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3} GiB`;
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

const TARGETS: Record<string, { against: ServerKey; target: number }[]> = {
  echo: [
    { against: "raw", target: 0.9 },
    { against: "node", target: 1 },
    { against: "cpython", target: 1 },
  ],
  bulk: [{ against: "raw", target: 0.8 }],
};

/** `ours / theirs` with ✓/✗ against the target. */
function ratioCell(
  cells: Record<string, Cell>,
  against: ServerKey,
  stat: Stat,
  target?: number,
): string {
  const ours = cells.asyncio?.[stat];
  const theirs = cells[against]?.[stat];
  if (ours === undefined || theirs === undefined || !(theirs > 0)) return "—";
  const value = ours / theirs;
  return target === undefined
    ? formatRatio(value)
    : `${formatRatio(value)} ${value >= target ? "✓" : "✗"}`;
}

/** Which summary of a cell's runs a table shows. */
type Stat = "best" | "median";

function tables(report: Report, stat: Stat): string {
  const labels = ["this library", "raw Deno", "Node", "CPython", "uvloop"];
  const keys: ServerKey[] = ["asyncio", "raw", "node", "cpython", "uvloop"];
  const tgt = (kind: string, against: ServerKey) =>
    TARGETS[kind].find((t) => t.against === against)?.target;
  const echoRows = report.echo.map(({ size, cells }) => [
    formatSizeBytes(size),
    ...keys.map((k) => formatRate(cells[k]?.[stat], "req/s")),
    ratioCell(cells, "raw", stat, tgt("echo", "raw")),
    ratioCell(cells, "node", stat, tgt("echo", "node")),
    ratioCell(cells, "cpython", stat, tgt("echo", "cpython")),
  ]);
  const parts = [
    markdownTable(
      [
        stat === "best" ? "size" : "size (medians)",
        ...labels.map((l, i) => (i === 0 ? `${l} req/s` : l)),
        "ratio vs raw Deno (≥0.9)",
        "vs Node (≥1)",
        "vs CPython (≥1)",
      ],
      echoRows,
    ),
  ];
  if (report.bulk !== null) {
    const { bytes, cells } = report.bulk;
    parts.push(
      markdownTable(
        [
          stat === "best" ? "bulk, 1 connection" : "bulk (medians)",
          ...labels.map((l, i) => (i === 0 ? `${l} MiB/s` : l)),
          "ratio vs raw Deno (≥0.8)",
          "vs Node",
          "vs CPython",
        ],
        [[
          `${formatSizeBytes(bytes)} → sink`,
          ...keys.map((k) => formatRate(cells[k]?.[stat], "MiB/s")),
          ratioCell(cells, "raw", stat, tgt("bulk", "raw")),
          ratioCell(cells, "node", stat),
          ratioCell(cells, "cpython", stat),
        ]],
      ),
    );
  }
  return parts.join("\n\n");
}

function evaluateTargets(report: Report): void {
  const check = (row: string, cells: Record<string, Cell>, kind: string) => {
    for (const { against, target } of TARGETS[kind]) {
      const ours = cells.asyncio?.best;
      const theirs = cells[against]?.best;
      if (ours === undefined || theirs === undefined) continue;
      const ratio = ours / theirs;
      report.targets.push({ row, against, ratio, target, met: ratio >= target });
    }
  };
  // The issue states the ping-pong targets at 1 KiB.
  for (const { size, cells } of report.echo) {
    if (size === 1024) check(`echo ${formatSizeBytes(size)}`, cells, "echo");
  }
  if (report.bulk !== null) {
    check(`bulk ${formatSizeBytes(report.bulk.bytes)}`, report.bulk.cells, "bulk");
  }
}

/** A line on the other processes that ran meanwhile, and on how busy the servers were. */
function interference(report: Report): string {
  const cells = [...report.echo.map((e) => e.cells), ...(report.bulk ? [report.bulk.cells] : [])];
  const runs = cells.flatMap((c) => Object.values(c).flatMap((cell) => cell.runs));
  const others = runs.map((r) => r.other_cpus).filter((v) => v !== undefined);
  if (others.length === 0) return "";
  const max = Math.max(...others);
  const disturbed = others.filter((v) => v > DISTURBED_CPUS).length;
  const lines = [
    `Other processes kept ${median(others).toFixed(2)} CPUs busy (median; max ${
      max.toFixed(2)
    }) during the ${others.length} runs; ${disturbed} run(s) were disturbed ` +
    `(> ${DISTURBED_CPUS} CPU) and count only where every run of a cell was.`,
  ];
  const busy = report.echo.map(({ size, cells }) =>
    `${formatSizeBytes(size)}: ` +
    Object.entries(cells).filter(([, c]) => c.serverBusy !== undefined)
      .map(([key, c]) => `${report.servers[key].label} ${(100 * c.serverBusy!).toFixed(0)}%`)
      .join(", ")
  );
  lines.push(`Server CPU use (median, of one CPU): ${busy.join("; ")}.`);
  return lines.join("\n") + "\n";
}

async function runBenchmark(options: Options): Promise<Report> {
  const notes: string[] = [];
  const pins = await findPins(options.pin);
  const specs = await findServers(options, notes);
  const report: Report = {
    benchmark: "echo",
    date: new Date().toISOString(),
    commit: await gitCommit(),
    machine: await machineInfo(),
    servers: Object.fromEntries(
      specs.map((
        s,
      ) => [s.key, { label: s.label, version: s.version, command: s.command }]),
    ),
    pinning: pins.note,
    options: {
      clients: options.clients,
      duration: options.duration,
      warmup: options.warmup,
      repeats: options.repeats,
      quietWait: options.quietWait,
      sizes: options.sizes,
      bulkBytes: options.bulk ? options.bulkBytes : null,
    },
    notes,
    echo: [],
    bulk: null,
    targets: [],
  };
  for (const note of notes) console.error(`note: ${note}`);
  console.error(`pinning: ${pins.note}`);
  const timeoutSeconds = options.warmup + options.duration + 60;

  for (const size of options.sizes) {
    const cells: Record<string, Cell> = {};
    for (const spec of specs) cells[spec.key] = { runs: [], errors: [] };
    // Round robin over the servers, so that a drift of the machine weighs on all.
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (const spec of specs) {
        const cell = cells[spec.key];
        try {
          const result = await measure(
            spec,
            pingPongArgs(options, size),
            { sink: false, pins, timeoutSeconds },
          );
          cell.runs.push(result);
          console.error(
            `echo ${formatSizeBytes(size)} ${spec.label}: ${Math.round(result.rps)} req/s`,
          );
        } catch (error) {
          if (isShuttingDown()) throw error;
          const message = (error as Error).message;
          cell.errors.push(message);
          notes.push(`echo ${formatSizeBytes(size)} on ${spec.label} failed: ${message}`);
          console.error(`echo ${formatSizeBytes(size)} ${spec.label}: FAILED: ${message}`);
        }
      }
    }
    for (const cell of Object.values(cells)) summarize(cell, (r) => r.rps);
    report.echo.push({ size, cells });
  }

  if (options.bulk) {
    const cells: Record<string, Cell> = {};
    for (const spec of specs) cells[spec.key] = { runs: [], errors: [] };
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (const spec of specs) {
        const cell = cells[spec.key];
        try {
          const result = await measureBulk(spec, options.bulkBytes, pins);
          cell.runs.push(result);
          console.error(
            `bulk ${formatSizeBytes(options.bulkBytes)} ${spec.label}: ` +
              `${Math.round(result.mib_per_s)} MiB/s`,
          );
        } catch (error) {
          if (isShuttingDown()) throw error;
          const message = (error as Error).message;
          cell.errors.push(message);
          notes.push(`bulk on ${spec.label} failed: ${message}`);
          console.error(`bulk ${spec.label}: FAILED: ${message}`);
        }
      }
    }
    for (const cell of Object.values(cells)) summarize(cell, (r) => r.mib_per_s);
    report.bulk = { bytes: options.bulkBytes, cells };
  }
  evaluateTargets(report);
  return report;
}

/**
 * Bulk: one server process, a warm-up transfer of 1/8 of the bytes, then
 * the timed one, each on a fresh connection.
 */
async function measureBulk(spec: ServerSpec, bytes: number, pins: Pins): Promise<LoadResult> {
  if (quietWaitSeconds > 0) await waitForQuiet(quietWaitSeconds, DISTURBED_CPUS);
  const server = await startServer(spec, true, pins.server);
  try {
    const timeout = 60 + bytes / (10 * 1024 * 1024);
    let result: LoadResult | null = null;
    for (const amount of [Math.max(1, Math.floor(bytes / 8)), bytes]) {
      const args = ["127.0.0.1", String(server.port), `--sink=${amount}`];
      result = await runLoadgen(server, args, pins, timeout);
    }
    return result!;
  } finally {
    await stopProcess(server.child);
  }
}

// ---- profiling --------------------------------------------------------------------------

/**
 * Runs this library's server (and raw Deno's, to compare) under
 * `--cpu-prof` at each size and for the bulk transfer, then prints the
 * self time per function of each profile.
 */
async function runProfile(options: Options): Promise<void> {
  const pins = await findPins(options.pin);
  const notes: string[] = [];
  const specs = await findServers({ ...options, servers: new Set(["asyncio", "raw"]) }, notes);
  const outDir = `${OUT}prof/echo/`;
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  const files: string[] = [];
  const timeoutSeconds = options.warmup + options.duration + 60;
  const profileOf = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.endsWith(".cpuprofile")) return `${dir}/${entry.name}`;
    }
    throw new Error(`no .cpuprofile in ${dir}`);
  };
  for (const spec of specs) {
    for (const size of options.sizes) {
      const dir = `${outDir}${spec.key}-${size}`;
      const result = await measure(
        spec,
        pingPongArgs(options, size),
        {
          sink: false,
          pins,
          timeoutSeconds,
          denoFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`],
          graceSeconds: 30,
        },
      );
      console.log(`${spec.label} echo ${formatSizeBytes(size)}: ${Math.round(result.rps)} req/s`);
      files.push(await profileOf(dir));
    }
    if (options.bulk) {
      const dir = `${outDir}${spec.key}-bulk`;
      const result = await measure(
        spec,
        (port) => ["127.0.0.1", String(port), `--sink=${options.bulkBytes}`],
        {
          sink: true,
          pins,
          timeoutSeconds: 60 + options.bulkBytes / (10 * 1024 * 1024),
          denoFlags: ["--cpu-prof", `--cpu-prof-dir=${dir}`],
          graceSeconds: 30,
        },
      );
      console.log(`${spec.label} bulk: ${Math.round(result.mib_per_s)} MiB/s`);
      files.push(await profileOf(dir));
    }
  }
  const summary = await runProcess(
    ["node", benchPath("echo/cpuprofile_summary.mjs"), ...files],
    120,
  );
  console.log(summary.stdout);
  if (summary.code !== 0) console.error(summary.stderr);
}

// ---- main -------------------------------------------------------------------------------

async function main(): Promise<number> {
  const options = parseOptions(Deno.args);
  quietWaitSeconds = options.quietWait;
  LOADGEN = await buildC("echo/loadgen.c", "loadgen");
  if (options.profile) {
    await runProfile(options);
    return 0;
  }
  const report = await runBenchmark(options);
  const out = `${OUT}echo.json`;
  await writeJson(out, report);
  const servers = Object.values(report.servers).map((s) => `${s.label}: ${s.version}`);
  const header = [
    `TCP echo, ${options.clients} clients ping-pong, ${options.duration} s per server and size ` +
    `after ${options.warmup} s of warm-up, best of ${options.repeats}; ` +
    `${report.machine.cpu} (${report.machine.cpus} CPUs), ${report.machine.os}; ${report.pinning}.`,
    servers.join("; ") + (report.commit ? `; commit ${report.commit}.` : "."),
  ].join("\n");
  const legend = "ratio = this library / the other (>1: this library is faster); " +
    "the issue's targets (in parentheses) are stated at 1 KiB and for bulk.";
  const medians = options.repeats > 1
    ? `\n\nThe medians of the ${options.repeats} runs:\n\n${tables(report, "median")}`
    : "";
  const md = `${header}\n\n${tables(report, "best")}${medians}\n\n${legend}\n` +
    interference(report);
  await Deno.writeTextFile(out.replace(/\.json$/, ".md"), md);
  console.log(`\n${md}`);
  for (const note of report.notes) console.log(`note: ${note}`);
  console.log(`written: ${out}, ${out.replace(/\.json$/, ".md")}`);
  const missed = report.targets.filter((t) => !t.met);
  for (const t of missed) {
    console.log(`missed: ${t.row} vs ${t.against}: ${formatRatio(t.ratio)} < ${t.target}×`);
  }
  return options.check && missed.length > 0 ? 1 : 0;
}

if (import.meta.main) {
  const removeSignalListeners = stopAllOnSignals();
  let code = 1;
  try {
    code = await main();
  } catch (error) {
    console.error(error);
  } finally {
    await stopAll();
    removeSignalListeners();
  }
  Deno.exit(code);
}
