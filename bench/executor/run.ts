/**
 * Runs the executor suite on its own: each workload through this library
 * and through CPython (and uvloop when available), one process per side,
 * then prints the ratio table and the speed-ups of the CPU-bound job, and
 * writes bench/out/executor.json and bench/out/executor.md.
 *
 * ```sh
 * deno run -A bench/executor/run.ts [--repeats=N] [--scale=F] [--no-uvloop]
 * ```
 *
 * @module
 */
import {
  findPythons,
  formatRatio,
  markdownTable,
  reportTable,
  runSuite,
  type SuiteReport,
  type WorkloadResult,
  writeJson,
} from "../_harness.ts";
import { OUT } from "../_procs.ts";
import { executorSuite } from "./suite.ts";

let repeats = 3;
let scale = 1;
let withUvloop = true;
for (const arg of Deno.args) {
  const [flag, value] = arg.split("=", 2);
  if (flag === "--repeats" && Number(value) >= 1) repeats = Math.floor(Number(value));
  else if (flag === "--scale" && Number(value) > 0) scale = Number(value);
  else if (flag === "--no-uvloop") withUvloop = false;
  else {
    console.error(
      "usage: deno run -A bench/executor/run.ts [--repeats=N] [--scale=F] [--no-uvloop]",
    );
    Deno.exit(2);
  }
}

function metric(
  result: WorkloadResult | { error: string } | null,
  key: string,
): number | undefined {
  return result !== null && "metrics" in result ? result.metrics[key] : undefined;
}

/** Calls per second and the CPU job's speed-ups, which the time table does not show. */
function extraTable(report: SuiteReport): string {
  const rows: string[][] = [];
  const fmt = (v: number | undefined, digits = 0) =>
    v === undefined ? "—" : v.toLocaleString("en-US", { maximumFractionDigits: digits });
  for (const r of report.results) {
    if (r.name.startsWith("calls-")) {
      const ours = metric(r.ours, "seconds");
      const theirs = metric(r.cpython, "seconds");
      const uv = metric(r.uvloop, "seconds");
      rows.push([
        `${r.name}: calls/s`,
        fmt(ours && r.size / ours),
        fmt(theirs && r.size / theirs),
        fmt(uv && r.size / uv),
        formatRatio(ours && theirs ? theirs / ours : undefined),
      ]);
    } else if (r.name === "cpu-split") {
      // The speed-up from the best times of each (one worker / every core).
      const speedup = (res: typeof r.ours | null) => {
        const one = metric(res, "one_core");
        const all = metric(res, "seconds");
        return one !== undefined && all !== undefined ? one / all : undefined;
      };
      const ours = speedup(r.ours);
      const theirs = speedup(r.cpython);
      rows.push([
        `cpu-split: speed-up over 1 worker (${report.machine.cpus} cores)`,
        ours === undefined ? "—" : `${ours.toFixed(2)}×`,
        theirs === undefined ? "—" : `${theirs.toFixed(2)}×`,
        (() => {
          const u = speedup(r.uvloop);
          return u === undefined ? "—" : `${u.toFixed(2)}×`;
        })(),
        ours && theirs ? formatRatio(ours / theirs) : "—",
      ]);
    }
  }
  return markdownTable(["measure", "this library", "CPython", "uvloop", "ratio"], rows);
}

const pythons = await findPythons(withUvloop);
for (const note of pythons.notes) console.log(`note: ${note}`);
const report = await runSuite(executorSuite, { repeats, scale, pythons });
const partial = scale !== 1;
const json = `${OUT}executor${partial ? ".partial" : ""}.json`;
await writeJson(json, report);
const header = `${report.runtimes.ours} vs ${report.runtimes.cpython ?? "(no CPython)"}` +
  ` vs ${report.runtimes.uvloop ?? "(no uvloop)"}; ` +
  `${report.machine.cpu} (${report.machine.cpus} CPUs), ${report.machine.os}; ` +
  `best of ${repeats} after a warm-up, each side in its own process. ` +
  "Calls: the default executor (WorkerPoolExecutor / ThreadPoolExecutor); " +
  "CPU job: WorkerPoolExecutor / CPython ProcessPoolExecutor.";
const legend = "ratio = CPython's time / ours (>1: this library is faster); " +
  "for the speed-up row, our speed-up / CPython's.";
const text = `${header}\n\n${reportTable(report)}\n\n${extraTable(report)}\n\n${legend}\n`;
await Deno.writeTextFile(json.replace(/\.json$/, ".md"), text);
console.log(`\n## executor\n\n${text}`);
for (const note of report.notes) console.log(`note: ${note}`);
console.log(`written: ${json}`);
