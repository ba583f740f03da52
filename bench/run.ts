/**
 * Runs the benchmarks: each workload through this library and through
 * CPython's asyncio (and uvloop when `/usr/bin/python3 -c "import uvloop"`
 * works), prints a table of the ratios and writes bench/out/SUITE.json.
 *
 * ```sh
 * deno task bench                  # every suite
 * deno task bench loop             # one suite
 * deno task bench loop:gather lock # some workloads (suite:name or name)
 * deno task bench --scale=0.1      # sizes ×0.1, for a quick look
 * deno task bench --repeats=5 --no-uvloop --check
 * ```
 *
 * `--check` exits with status 1 when a row misses its target.
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
import { loopSuite } from "./loop/suite.ts";
import { executorSuite } from "./executor/suite.ts";

const SUITES: SuiteSpec[] = [loopSuite, executorSuite];

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
      "[--repeats=N] [--scale=F] [--no-uvloop] [--check]\n" +
      `suites: ${
        SUITES.map((s) => `${s.name} (${s.specs.map((w) => w.name).join(", ")})`).join("; ")
      }`,
  );
  Deno.exit(2);
}

let repeats = 3;
let scale = 1;
let withUvloop = true;
let check = false;
// Suite name -> the workloads selected in it (undefined: all of them).
const selected = new Map<string, Set<string> | undefined>();

for (const arg of Deno.args) {
  if (arg.startsWith("--")) {
    const [flag, value] = arg.split("=", 2);
    if (flag === "--repeats" && Number(value) >= 1) repeats = Math.floor(Number(value));
    else if (flag === "--scale" && Number(value) > 0) scale = Number(value);
    else if (flag === "--no-uvloop") withUvloop = false;
    else if (flag === "--check") check = true;
    else if (flag === "--help") usage();
    else usage(`unknown option ${arg}`);
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
if (selected.size === 0) { for (const suite of SUITES) selected.set(suite.name, undefined); }

const pythons = await findPythons(withUvloop);
for (const note of pythons.notes) console.log(`note: ${note}`);

let missed = 0;
for (const suite of SUITES) {
  if (!selected.has(suite.name)) continue;
  const report = await runSuite(suite, { only: selected.get(suite.name), repeats, scale, pythons });
  const out = new URL(`./out/${suite.name}.json`, import.meta.url);
  // A partial run (some workloads, another scale) keeps the full report apart.
  const partial = selected.get(suite.name) !== undefined || scale !== 1;
  const path = partial ? new URL(`./out/${suite.name}.partial.json`, import.meta.url) : out;
  await writeJson(path, report);

  const header = `${report.runtimes.ours} vs ${report.runtimes.cpython ?? "(no CPython)"}` +
    ` vs ${report.runtimes.uvloop ?? "(no uvloop)"}; ` +
    `${report.machine.cpu} (${report.machine.cpus} CPUs), ${report.machine.os}; ` +
    `best of ${repeats} after a warm-up, each side in its own process.`;
  const legend = [
    "ratio = CPython's time / ours (>1: this library is faster; for memory rows, smaller).",
    ...memoryLegend(report),
  ];
  const table = reportTable(report);
  const md = new URL(path.href.replace(/\.json$/, ".md"));
  await Deno.writeTextFile(md, `${header}\n\n${table}\n\n${legend.join("\n")}\n`);
  console.log(`\n## ${suite.name}\n\n${header}\n\n${table}\n\n${legend.join("\n")}`);
  for (const note of report.notes) console.log(`note: ${note}`);
  console.log(
    `\nwritten: ${decodeURIComponent(path.pathname)}, ${decodeURIComponent(md.pathname)}`,
  );
  missed += report.rows.filter((row) => row.met === false).length;
}

if (check && missed > 0) {
  console.error(`${missed} row(s) missed their target`);
  Deno.exit(1);
}
