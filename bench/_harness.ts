/**
 * Shared helpers of the benchmarks: the workload side (`workloadMain`, which
 * warms up, repeats and prints one JSON result), the driver side (running a
 * workload process with `Deno.Command`, the Python peers, the table and the
 * JSON report). Every benchmark suite (loop, and later echo, streams,
 * udp...) runs each side of each workload in a process of its own, so that
 * one workload's heap, JIT state or garbage never weighs on the next.
 *
 * @module
 */
import process from "node:process";

// ---- results -------------------------------------------------------------------

/** What one run of a workload measures: `seconds`, and any other numbers. */
export interface RunMetrics {
  /** The headline time of the run, in seconds. */
  seconds: number;
  /** Other measurements (phases, counts, memory), by name. */
  [metric: string]: number;
}

/**
 * What a workload process prints (one JSON object): the same shape from
 * workloads.ts and from the Python peers.
 */
export interface WorkloadResult {
  name: string;
  size: number;
  /** Which runtime produced it, e.g. "Deno 2.9.6 @asyncio/asyncio". */
  runtime: string;
  /** The best (lowest) time of the timed runs. */
  seconds: number;
  /** The median time of the timed runs. */
  median: number;
  /** Every timed run's `seconds`. */
  runs: number[];
  /** Each metric's best (lowest) value over the timed runs, plus memory. */
  metrics: Record<string, number>;
  /** Peak memory of the warm-up run, when the workload measures it. */
  peak_mem_bytes?: number;
  /** How `peak_mem_bytes` was measured. */
  peak_mem_kind?: string;
  /** A second, allocator-level peak (V8 heapUsed, tracemalloc). */
  peak_alloc_bytes?: number;
  /** How `peak_alloc_bytes` was measured. */
  peak_alloc_kind?: string;
}

// ---- the workload side -----------------------------------------------------------

/** A workload: runs once at `size` and returns what it measured. */
export type WorkloadFn = (size: number) => Promise<RunMetrics> | RunMetrics;

/** Calls V8's `gc()` when the process runs with `--v8-flags=--expose-gc`. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The peak resident set size of this process so far (getrusage), in bytes. */
export function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Samples `Deno.memoryUsage().heapUsed` at the points where a workload calls
 * `sample()`; the RSS growth is the peak RSS (getrusage) at the end minus the
 * RSS at the start.
 */
export class MemorySampler {
  #heapBase = 0;
  #heapPeak = 0;
  #rssBase = 0;
  /** How many samples were taken. */
  samples = 0;

  /** Collects garbage and records the baseline. */
  start(): void {
    collectGarbage();
    this.#heapBase = Deno.memoryUsage().heapUsed;
    this.#heapPeak = this.#heapBase;
    this.#rssBase = Deno.memoryUsage().rss;
    this.samples = 0;
  }

  /** Takes one sample of the heap. */
  sample(): void {
    const used = Deno.memoryUsage().heapUsed;
    if (used > this.#heapPeak) this.#heapPeak = used;
    this.samples++;
  }

  /** Ends the measurement: the growths over the baseline, in bytes. */
  finish(): { rssGrowth: number; heapGrowth: number } {
    this.sample();
    return {
      rssGrowth: maxRssBytes() - this.#rssBase,
      heapGrowth: this.#heapPeak - this.#heapBase,
    };
  }
}

/** Options of `workloadMain`. */
export interface WorkloadMainOptions {
  /** The runtime named in the result. */
  runtime: string;
  /**
   * Workloads whose warm-up measures memory: the function is called with a
   * started sampler, runs the workload once and calls `sampler.sample()`
   * where it likes.
   */
  memory?: Record<string, (size: number, sampler: MemorySampler) => Promise<unknown> | unknown>;
}

function best(values: number[]): number {
  return Math.min(...values);
}

/** The median of `values`. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The entry point of a workload process: `NAME SIZE [REPEATS]` from the
 * command line. Runs the workload once untimed (the warm-up; it measures
 * memory when the workload has a memory probe), then REPEATS times (3 by
 * default), collecting garbage before each, and prints a `WorkloadResult`.
 */
export async function workloadMain(
  workloads: Record<string, WorkloadFn>,
  options: WorkloadMainOptions,
  args: string[] = Deno.args,
): Promise<void> {
  const [name, sizeArg, repeatsArg] = args.filter((a) => !a.startsWith("--"));
  const fn = workloads[name];
  const size = Math.round(Number(sizeArg));
  if (fn === undefined || !(size > 0)) {
    console.error(`usage: ${Object.keys(workloads).join("|")} SIZE [REPEATS]`);
    Deno.exit(2);
  }
  const repeats = repeatsArg === undefined ? 3 : Number(repeatsArg);

  const memoryProbe = options.memory?.[name];
  let memory: { rssGrowth: number; heapGrowth: number } | null = null;
  if (memoryProbe !== undefined) {
    const sampler = new MemorySampler();
    sampler.start();
    await memoryProbe(size, sampler);
    memory = sampler.finish();
  } else {
    await fn(size);
  }

  const runs: RunMetrics[] = [];
  for (let i = 0; i < repeats; i++) {
    collectGarbage();
    runs.push(await fn(size));
  }
  const metrics: Record<string, number> = {};
  for (const key of Object.keys(runs[0])) metrics[key] = best(runs.map((r) => r[key]));
  const seconds = runs.map((r) => r.seconds);
  const result: WorkloadResult = {
    name,
    size,
    runtime: options.runtime,
    seconds: best(seconds),
    median: median(seconds),
    runs: seconds,
    metrics,
  };
  if (memory !== null) {
    metrics.peak_rss_growth_bytes = memory.rssGrowth;
    metrics.peak_alloc_bytes = memory.heapGrowth;
    result.peak_mem_bytes = memory.rssGrowth;
    result.peak_mem_kind = "peak RSS (getrusage ru_maxrss) - RSS at the start of the run";
    result.peak_alloc_bytes = memory.heapGrowth;
    result.peak_alloc_kind = "Deno.memoryUsage().heapUsed peak growth (sampled)";
  }
  console.log(JSON.stringify(result));
}

// ---- the driver side -----------------------------------------------------------

/** One implementation a workload runs on: a command and its leading arguments. */
export interface Side {
  /** The column's name, e.g. "CPython". */
  label: string;
  /** The program, e.g. `Deno.execPath()` or "python3". */
  command: string;
  /** Arguments before `NAME SIZE REPEATS`. */
  args: string[];
  /** Arguments after them (e.g. "--uvloop"). */
  trailing?: string[];
}

/** A side's outcome: its result, or why there is none. */
export type SideOutcome = { ok: true; result: WorkloadResult } | { ok: false; error: string };

/**
 * Runs one workload process and parses the JSON it prints last. Never
 * throws: a failure (exit code, bad output, timeout) is returned as an error.
 */
export async function runSide(
  side: Side,
  name: string,
  size: number,
  repeats: number,
  timeoutSeconds = 600,
): Promise<SideOutcome> {
  const args = [...side.args, name, String(size), String(repeats), ...(side.trailing ?? [])];
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(side.command, {
      args,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    }).output();
  } catch (error) {
    return { ok: false, error: `${side.command}: ${error}` };
  }
  const stdout = new TextDecoder().decode(output.stdout).trim();
  const stderr = new TextDecoder().decode(output.stderr).trim();
  if (!output.success) {
    const why = output.signal !== null ? `signal ${output.signal}` : `exit code ${output.code}`;
    return { ok: false, error: `${why}: ${lastLines(stderr || stdout, 3)}` };
  }
  const last = stdout.split("\n").at(-1) ?? "";
  try {
    return { ok: true, result: JSON.parse(last) as WorkloadResult };
  } catch {
    return { ok: false, error: `no JSON result: ${lastLines(stdout + "\n" + stderr, 3)}` };
  }
}

function lastLines(text: string, n: number): string {
  return text.trim().split("\n").slice(-n).join(" | ");
}

/** Runs `command args` and returns whether it exits 0 (false when missing). */
export async function commandSucceeds(command: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, {
      args,
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** Runs `command args` and returns its trimmed stdout ("" on failure). */
export async function commandOutput(command: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(out.stdout).trim();
    return text || new TextDecoder().decode(out.stderr).trim();
  } catch {
    return "";
  }
}

/** The Python interpreters the benchmarks compare with. */
export interface Pythons {
  /** CPython with its own asyncio: `python3` on PATH, or $BENCH_PYTHON. */
  cpython: { command: string; version: string } | null;
  /** CPython with uvloop: /usr/bin/python3, or $BENCH_UVLOOP_PYTHON. */
  uvloop: { command: string; version: string } | null;
  /** Why a peer is missing, to be printed. */
  notes: string[];
}

/** Finds the Python peers; installs nothing. */
export async function findPythons(withUvloop = true): Promise<Pythons> {
  const notes: string[] = [];
  const cpythonCmd = Deno.env.get("BENCH_PYTHON") ?? "python3";
  const uvloopCmd = Deno.env.get("BENCH_UVLOOP_PYTHON") ?? "/usr/bin/python3";
  let cpython: Pythons["cpython"] = null;
  const version = await commandOutput(cpythonCmd, [
    "-c",
    "import sys; print(sys.version.split()[0])",
  ]);
  if (/^\d+\.\d+/.test(version)) {
    cpython = { command: cpythonCmd, version };
  } else {
    notes.push(`CPython skipped: ${cpythonCmd} did not run`);
  }
  let uvloop: Pythons["uvloop"] = null;
  if (!withUvloop) {
    notes.push("uvloop skipped (--no-uvloop)");
  } else {
    const uvVersion = await commandOutput(uvloopCmd, [
      "-c",
      "import sys, uvloop; print(sys.version.split()[0], uvloop.__version__)",
    ]);
    if (/^\d+\.\d+\S* \d+\./.test(uvVersion)) {
      const [py, uv] = uvVersion.split(" ");
      uvloop = { command: uvloopCmd, version: `CPython ${py}, uvloop ${uv}` };
    } else {
      notes.push(
        `uvloop skipped: \`${uvloopCmd} -c "import uvloop"\` failed ` +
          `(Debian: apt-get install python3-uvloop; or set BENCH_UVLOOP_PYTHON)`,
      );
    }
  }
  return { cpython, uvloop, notes };
}

// ---- formatting --------------------------------------------------------------------

/** What a table row shows: seconds or bytes. */
export type Unit = "s" | "bytes";

/** `0.0123` -> "12.3 ms", `2.5` -> "2.50 s". */
export function formatSeconds(seconds: number): string {
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(1)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toFixed(1)} ms`;
  return `${seconds.toFixed(2)} s`;
}

/** `1572864` -> "1.5 MiB". */
export function formatBytes(bytes: number): string {
  if (Math.abs(bytes) < 1024) return `${bytes} B`;
  if (Math.abs(bytes) < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Formats `value` in `unit`; "—" when there is none. */
export function formatValue(value: number | undefined, unit: Unit): string {
  if (value === undefined || !Number.isFinite(value)) return "—";
  return unit === "s" ? formatSeconds(value) : formatBytes(value);
}

/** `theirs / ours` as "3.2×" (>1: ours is faster or smaller); "—" when unknown. */
export function ratio(ours: number | undefined, theirs: number | undefined): number | undefined {
  if (ours === undefined || theirs === undefined || !(ours > 0) || !Number.isFinite(theirs)) {
    return undefined;
  }
  return theirs / ours;
}

/** Formats a ratio as "3.2×". */
export function formatRatio(value: number | undefined): string {
  if (value === undefined) return "—";
  if (value >= 100) return `${value.toFixed(0)}×`;
  return value >= 10 ? `${value.toFixed(1)}×` : `${value.toFixed(2)}×`;
}

/** A markdown table (pipes aligned), ready to paste into README.md. */
export function markdownTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (c ?? "").padEnd(widths[i])).join(" | ")} |`;
  return [
    line(headers),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.map(line),
  ].join("\n");
}

/** A few facts about the machine, for the report. */
export async function machineInfo(): Promise<Record<string, string>> {
  let cpu = "";
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? "";
  } catch {
    // Not Linux: no /proc.
  }
  return {
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    arch: Deno.build.arch,
    cpu,
    cpus: String(navigator.hardwareConcurrency),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
  };
}

/** Writes `data` as pretty JSON to `path`, making its directory. */
export async function writeJson(path: string | URL, data: unknown): Promise<void> {
  const url = path instanceof URL ? path : new URL(path, `file://${Deno.cwd()}/`);
  await Deno.mkdir(new URL(".", url), { recursive: true });
  await Deno.writeTextFile(url, JSON.stringify(data, null, 2) + "\n");
}

// ---- suites --------------------------------------------------------------------

/** One row of a suite's table: a metric of a workload's result. */
export interface MetricSpec {
  /** The key in `WorkloadResult.metrics`. */
  key: string;
  /** The row's label. */
  label: string;
  /** Seconds or bytes. */
  unit: Unit;
  /** The ratio (CPython / ours) to reach, if the row has a target. */
  target?: number;
}

/** A workload of a suite. */
export interface WorkloadSpec {
  /** The name the TypeScript side and the Python peer know it by. */
  name: string;
  /** The default size (the N). */
  size: number;
  /** What it does, in a few words. */
  title: string;
  /** The table's rows for it; the first one is its headline. */
  metrics: MetricSpec[];
}

/** A suite: its workloads, and the programs that run each side. */
export interface SuiteSpec {
  /** The suite's name, also the name of its JSON report (bench/out/NAME.json). */
  name: string;
  /** The TypeScript entry point, run with `deno run -A --v8-flags=--expose-gc`. */
  workloads: URL;
  /** The Python peer script (`peer.py NAME SIZE REPEATS [--uvloop]`). */
  peer: URL;
  /** The workloads, in the order they run. */
  specs: WorkloadSpec[];
}

/** Options of `runSuite`. */
export interface RunSuiteOptions {
  /** Which workloads (all when absent). */
  only?: Set<string>;
  /** Timed runs per side (3). */
  repeats?: number;
  /** Multiplies every size (1). */
  scale?: number;
  /** The Python peers (see `findPythons`). */
  pythons: Pythons;
  /** Progress lines go here (stderr by default). */
  log?: (line: string) => void;
}

/** A row of a suite's report. */
export interface ReportRow {
  workload: string;
  metric: string;
  label: string;
  size: number;
  unit: Unit;
  ours?: number;
  cpython?: number;
  uvloop?: number;
  /** CPython / ours: >1 means ours is faster (or smaller). */
  ratio?: number;
  /** uvloop / ours. */
  ratioUvloop?: number;
  target?: number;
  /** Whether `ratio` reaches `target` (absent without a target). */
  met?: boolean;
}

/** A suite's report: every side's raw results and the table's rows. */
export interface SuiteReport {
  suite: string;
  date: string;
  machine: Record<string, string>;
  runtimes: { ours: string; cpython: string | null; uvloop: string | null };
  repeats: number;
  scale: number;
  notes: string[];
  results: {
    name: string;
    size: number;
    title: string;
    ours: WorkloadResult | { error: string };
    cpython: WorkloadResult | { error: string } | null;
    uvloop: WorkloadResult | { error: string } | null;
  }[];
  rows: ReportRow[];
}

function metricOf(outcome: SideOutcome | null, key: string): number | undefined {
  return outcome?.ok ? outcome.result.metrics[key] : undefined;
}

function rawOf(outcome: SideOutcome | null): WorkloadResult | { error: string } | null {
  if (outcome === null) return null;
  return outcome.ok ? outcome.result : { error: outcome.error };
}

/**
 * Runs a suite's workloads, one process per side and workload, one after
 * the other (never two at once, so that they do not compete for the CPU).
 */
export async function runSuite(suite: SuiteSpec, options: RunSuiteOptions): Promise<SuiteReport> {
  const repeats = options.repeats ?? 3;
  const scale = options.scale ?? 1;
  const log = options.log ?? ((line: string) => console.error(line));
  const { pythons } = options;
  const ours: Side = {
    label: "this library",
    command: Deno.execPath(),
    args: [
      "run",
      "--allow-all",
      "--v8-flags=--expose-gc",
      decodeURIComponent(suite.workloads.pathname),
    ],
  };
  const cpython: Side | null = pythons.cpython &&
    {
      label: "CPython",
      command: pythons.cpython.command,
      args: [decodeURIComponent(suite.peer.pathname)],
    };
  const uvloop: Side | null = pythons.uvloop && {
    label: "uvloop",
    command: pythons.uvloop.command,
    args: [decodeURIComponent(suite.peer.pathname)],
    trailing: ["--uvloop"],
  };
  const notes = [...pythons.notes];
  const report: SuiteReport = {
    suite: suite.name,
    date: new Date().toISOString(),
    machine: await machineInfo(),
    runtimes: {
      ours: `Deno ${Deno.version.deno}`,
      cpython: pythons.cpython && `CPython ${pythons.cpython.version} asyncio`,
      uvloop: pythons.uvloop?.version ?? null,
    },
    repeats,
    scale,
    notes,
    results: [],
    rows: [],
  };
  for (const spec of suite.specs) {
    if (options.only !== undefined && !options.only.has(spec.name)) continue;
    const size = Math.max(1, Math.round(spec.size * scale));
    const outcomes: Record<string, SideOutcome | null> = {};
    for (const side of [ours, cpython, uvloop]) {
      if (side === null) continue;
      log(`${suite.name}/${spec.name} n=${size}: ${side.label}...`);
      const outcome = await runSide(side, spec.name, size, repeats);
      if (outcome.ok) {
        log(
          `  best ${formatSeconds(outcome.result.seconds)}` +
            `, median ${formatSeconds(outcome.result.median)}`,
        );
      } else {
        log(`  FAILED: ${outcome.error}`);
        notes.push(`${spec.name} on ${side.label} failed: ${outcome.error}`);
      }
      outcomes[side.label] = outcome;
    }
    const o = outcomes["this library"] ?? null;
    const c = outcomes["CPython"] ?? null;
    const u = outcomes["uvloop"] ?? null;
    report.results.push({
      name: spec.name,
      size,
      title: spec.title,
      ours: rawOf(o)!,
      cpython: rawOf(c),
      uvloop: rawOf(u),
    });
    for (const metric of spec.metrics) {
      const row: ReportRow = {
        workload: spec.name,
        metric: metric.key,
        label: metric.label,
        size,
        unit: metric.unit,
        ours: metricOf(o, metric.key),
        cpython: metricOf(c, metric.key),
        uvloop: metricOf(u, metric.key),
      };
      row.ratio = ratio(row.ours, row.cpython);
      row.ratioUvloop = ratio(row.ours, row.uvloop);
      if (metric.target !== undefined) {
        row.target = metric.target;
        row.met = row.ratio !== undefined && row.ratio >= metric.target;
      }
      report.rows.push(row);
    }
  }
  return report;
}

/** `1000000` -> "10^6", `250000` -> "2.5·10^5". */
export function formatSize(n: number): string {
  const exp = Math.floor(Math.log10(n));
  const mantissa = n / 10 ** exp;
  const m = Number(mantissa.toPrecision(3));
  return m === 1 ? `10^${exp}` : `${m}·10^${exp}`;
}

/** The report's rows as a markdown table. */
export function reportTable(report: SuiteReport): string {
  const headers = [
    "workload",
    "N",
    "this library",
    "CPython",
    "ratio",
    "uvloop",
    "ratio vs uvloop",
    "target",
  ];
  const rows = report.rows.map((row) => [
    row.label,
    formatSize(row.size),
    formatValue(row.ours, row.unit),
    formatValue(row.cpython, row.unit),
    formatRatio(row.ratio),
    formatValue(row.uvloop, row.unit),
    formatRatio(row.ratioUvloop),
    row.target === undefined ? "" : `≥${row.target}× ${row.met ? "✓" : "✗"}`,
  ]);
  return markdownTable(headers, rows);
}
