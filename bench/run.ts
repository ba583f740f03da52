/**
 * Runs the benchmarks and draws their chart. The suites `loop` and
 * `executor` run here: each workload through this library and through
 * CPython's asyncio (and uvloop when `/usr/bin/python3 -c "import uvloop"`
 * works), a table of the ratios, bench/out/SUITE.json. The others (`echo`,
 * `streams`, `udp`, `subprocess`, `tls`) are runners of their own
 * (bench/NAME/run.ts), run one after the other. Then docs/bench.svg is
 * redrawn from the last results in bench/out/*.json (bench/_chart.ts).
 *
 * ```sh
 * deno task bench                  # every suite, then the chart
 * deno task bench loop echo        # some suites, then the chart
 * deno task bench loop:gather lock # some workloads of loop or executor (suite:name or name)
 * deno task bench --scale=0.1      # loop and executor sizes ×0.1 (a .partial.json, not charted)
 * deno task bench --repeats=5 --no-uvloop --check
 * deno task bench echo --echo.duration=1 --echo.no-bulk   # --NAME.FLAG: `--FLAG` to NAME's runner
 * deno task bench --chart-only     # only redraw docs/bench.svg
 * BENCH_OUT=/tmp/smoke deno task bench echo --svg=/tmp/smoke/bench.svg  # results elsewhere
 * ```
 *
 * `--repeats` and `--check` go to the runners that take them too (echo,
 * subprocess, tls: `--repeats`; echo, subprocess: `--check`). `--check`
 * exits with status 1 when a row misses its target; a runner that fails
 * makes the exit status 1 as well, after the others have run.
 *
 * @module
 */
import {
  findPythons,
  reportTable,
  runSuite,
  type SuiteReport,
  type SuiteSpec,
  writeJson,
} from "./_harness.ts";
import { writeChart } from "./_chart.ts";
import { benchPath, OUT } from "./_procs.ts";
import { loopSuite } from "./loop/suite.ts";
import { executorSuite } from "./executor/suite.ts";

const SUITES: SuiteSpec[] = [loopSuite, executorSuite];

/** The runners of their own (bench/NAME/run.ts), and which common flags each takes. */
const RUNNERS: { name: string; repeats: boolean; check: boolean }[] = [
  { name: "echo", repeats: true, check: true },
  { name: "streams", repeats: false, check: false },
  { name: "udp", repeats: false, check: false },
  { name: "subprocess", repeats: true, check: true },
  { name: "tls", repeats: true, check: false },
];

const ALL = [...SUITES.map((s) => s.name), ...RUNNERS.map((r) => r.name)];

// How each side measured the memory rows, one line per kind.
function memoryLegend(report: SuiteReport): string[] {
  const lines = new Set<string>();
  for (const r of report.results) {
    const sides = [["this library", r.ours], ["CPython/uvloop", r.cpython ?? r.uvloop]] as const;
    for (const [label, result] of sides) {
      if (result === null || !("peak_mem_kind" in result)) continue;
      lines.add(
        `memory, ${label}: RSS = ${result.peak_mem_kind}; heap = ${result.peak_alloc_kind}` +
          " (in the warm-up run).",
      );
    }
  }
  return [...lines];
}

function usage(message?: string): never {
  if (message) console.error(message);
  console.error(
    "usage: deno task bench [SUITE | SUITE:WORKLOAD | WORKLOAD ...] " +
      "[--repeats=N] [--scale=F] [--no-uvloop] [--check] [--NAME.FLAG[=VALUE] ...]\n" +
      "  [--svg=docs/bench.svg] [--no-chart | --chart-only]\n" +
      `suites: ${
        SUITES.map((s) => `${s.name} (${s.specs.map((w) => w.name).join(", ")})`).join("; ")
      }; runners of their own: ${RUNNERS.map((r) => r.name).join(", ")} ` +
      "(their flags: deno run -A bench/NAME/run.ts --help)",
  );
  Deno.exit(2);
}

let repeats: number | undefined;
let scale = 1;
let withUvloop = true;
let check = false;
let chart = true;
let chartOnly = false;
let svg = benchPath("../docs/bench.svg");
// Suite name -> the workloads selected in it (undefined: all of them).
const selected = new Map<string, Set<string> | undefined>();
// Runner name -> the flags passed on to it (--echo.duration=1 -> --duration=1).
const passed = new Map<string, string[]>();

for (const arg of Deno.args) {
  if (arg.startsWith("--")) {
    const [flag, value] = arg.split("=", 2);
    const dotted = /^--([\w-]+)\.(.+)$/.exec(arg);
    if (dotted !== null && RUNNERS.some((r) => r.name === dotted[1])) {
      passed.set(dotted[1], [...(passed.get(dotted[1]) ?? []), `--${dotted[2]}`]);
    } else if (flag === "--repeats" && Number(value) >= 1) repeats = Math.floor(Number(value));
    else if (flag === "--scale" && Number(value) > 0) scale = Number(value);
    else if (flag === "--no-uvloop") withUvloop = false;
    else if (flag === "--check") check = true;
    else if (flag === "--no-chart") chart = false;
    else if (flag === "--chart-only") chartOnly = true;
    else if (flag === "--svg" && value) svg = value;
    else if (flag === "--help") usage();
    else usage(`unknown option ${arg}`);
    continue;
  }
  if (RUNNERS.some((r) => r.name === arg)) {
    selected.set(arg, undefined);
    continue;
  }
  const [suiteName, workload] = arg.includes(":") ? arg.split(":", 2) : [arg, undefined];
  let suite = SUITES.find((s) => s.name === suiteName);
  let name = workload;
  if (suite === undefined && workload === undefined) {
    suite = SUITES.find((s) => s.specs.some((w) => w.name === arg));
    name = arg;
  }
  if (suite === undefined) usage(`unknown suite or workload ${arg}`);
  if (name !== undefined && !suite.specs.some((w) => w.name === name)) {
    usage(`unknown workload ${name} in suite ${suite.name}`);
  }
  if (name === undefined) {
    selected.set(suite.name, undefined);
  } else if (!selected.has(suite.name) || selected.get(suite.name) !== undefined) {
    const names = selected.get(suite.name) ?? new Set<string>();
    names.add(name);
    selected.set(suite.name, names);
  }
}
if (selected.size === 0) { for (const name of ALL) selected.set(name, undefined); }
for (const name of passed.keys()) {
  if (!selected.has(name)) usage(`--${name}.* given, but ${name} does not run`);
}

/** Runs a suite of bench/run.ts; returns how many rows missed their target. */
async function runOwnSuite(
  suite: SuiteSpec,
  pythons: Awaited<ReturnType<typeof findPythons>>,
): Promise<number> {
  const runs = repeats ?? 3;
  const report = await runSuite(suite, {
    only: selected.get(suite.name),
    repeats: runs,
    scale,
    pythons,
  });
  // A partial run (some workloads, another scale) keeps the full report apart.
  const partial = selected.get(suite.name) !== undefined || scale !== 1;
  const path = `${OUT}${suite.name}${partial ? ".partial" : ""}.json`;
  await writeJson(path, report);

  const header = `${report.runtimes.ours} vs ${report.runtimes.cpython ?? "(no CPython)"}` +
    ` vs ${report.runtimes.uvloop ?? "(no uvloop)"}; ` +
    `${report.machine.cpu} (${report.machine.cpus} CPUs), ${report.machine.os}; ` +
    `best of ${runs} after a warm-up, each side in its own process.`;
  const legend = [
    "ratio = CPython's time / ours (>1: this library is faster; for memory rows, smaller).",
    ...memoryLegend(report),
  ];
  const table = reportTable(report);
  const md = path.replace(/\.json$/, ".md");
  await Deno.writeTextFile(md, `${header}\n\n${table}\n\n${legend.join("\n")}\n`);
  console.log(`\n## ${suite.name}\n\n${header}\n\n${table}\n\n${legend.join("\n")}`);
  for (const note of report.notes) console.log(`note: ${note}`);
  console.log(`\nwritten: ${path}, ${md}`);
  return report.rows.filter((row) => row.met === false).length;
}

/** Runs bench/NAME/run.ts in a process of its own; returns its exit code. */
async function runRunner(runner: (typeof RUNNERS)[number]): Promise<number> {
  const args = [
    ...(runner.repeats && repeats !== undefined ? [`--repeats=${repeats}`] : []),
    ...(runner.check && check ? ["--check"] : []),
    ...(passed.get(runner.name) ?? []),
  ];
  const script = benchPath(`${runner.name}/run.ts`);
  console.log(
    `\n## ${runner.name}\n\n$ deno run --allow-all bench/${runner.name}/run.ts ${args.join(" ")}`,
  );
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", script, ...args],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (code !== 0) console.error(`${runner.name}: exit code ${code}`);
  return code;
}

let failed = 0;
if (!chartOnly) {
  let missed = 0;
  const needsPython = SUITES.some((s) => selected.has(s.name));
  const pythons = needsPython ? await findPythons(withUvloop) : null;
  for (const note of pythons?.notes ?? []) console.log(`note: ${note}`);
  for (const name of ALL) {
    if (!selected.has(name)) continue;
    const suite = SUITES.find((s) => s.name === name);
    if (suite !== undefined) missed += await runOwnSuite(suite, pythons!);
    else if (await runRunner(RUNNERS.find((r) => r.name === name)!) !== 0) failed++;
  }
  if (check && missed > 0) console.error(`${missed} row(s) missed their target`);
  if (check && missed > 0) failed++;
}
if (chart || chartOnly) {
  const bars = await writeChart(OUT, svg);
  console.log(`\nchart: ${svg} (${bars} bars, from ${OUT}*.json)`);
}
if (failed > 0) Deno.exit(1);
