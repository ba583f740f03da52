/**
 * The subprocess benchmark: spawn-and-wait of `true` (200 times, one after
 * the other) and a pipe through `cat` (1 GiB written and read back at the
 * same time, `communicate()` where there is one), through this library,
 * raw `Deno.Command`, Node's `child_process` and CPython's asyncio. Each
 * side runs in a process of its own, one after the other.
 *
 * ```sh
 * deno run -A bench/subprocess/run.ts                    # the whole benchmark
 * deno run -A bench/subprocess/run.ts --repeats=1 --pipe-bytes=268435456
 * deno run -A bench/subprocess/run.ts --sides=asyncio,raw --only=spawn --check
 * ```
 *
 * Prints a markdown table of the times and of the ratios (theirs / ours:
 * above 1, this library is faster) and writes bench/out/subprocess.json and
 * subprocess.md. The targets: spawn at least 0.9× raw Deno, pipe at
 * least 0.8× raw Deno and ahead of CPython; `--check` exits with status 1
 * when one is missed.
 *
 * @module
 */
import {
  formatRatio,
  formatSeconds,
  machineInfo,
  markdownTable,
  runSide,
  type Side,
  type SideOutcome,
  writeJson,
} from "../_harness.ts";
import { findPeers, OUT } from "../_procs.ts";

const SIDE_KEYS = ["asyncio", "raw", "node", "cpython"] as const;
type SideKey = typeof SIDE_KEYS[number];
const LABELS: Record<SideKey, string> = {
  asyncio: "this library",
  raw: "raw Deno.Command",
  node: "Node child_process",
  cpython: "CPython asyncio",
};

interface Options {
  repeats: number;
  spawns: number;
  pipeBytes: number;
  sides: Set<SideKey>;
  only: Set<string>;
  check: boolean;
}

function usage(message?: string): never {
  if (message) console.error(message);
  console.error(
    "usage: deno run -A bench/subprocess/run.ts [--repeats=3] [--spawns=200]\n" +
      "  [--pipe-bytes=1073741824] [--sides=asyncio,raw,node,cpython] [--only=spawn,pipe] [--check]",
  );
  Deno.exit(2);
}

function parseOptions(args: string[]): Options {
  const options: Options = {
    repeats: 3,
    spawns: 200,
    pipeBytes: 1024 ** 3,
    sides: new Set(SIDE_KEYS),
    only: new Set(["spawn", "pipe"]),
    check: false,
  };
  for (const arg of args) {
    const [key, value = ""] = arg.split("=", 2);
    switch (key) {
      case "--repeats":
        options.repeats = Number(value);
        break;
      case "--spawns":
        options.spawns = Number(value);
        break;
      case "--pipe-bytes":
        options.pipeBytes = Number(value);
        break;
      case "--sides":
        options.sides = new Set(value.split(",") as SideKey[]);
        for (const side of options.sides) if (!SIDE_KEYS.includes(side)) usage(`bad side ${side}`);
        break;
      case "--only":
        options.only = new Set(value.split(","));
        break;
      case "--check":
        options.check = true;
        break;
      default:
        usage(`unknown option ${arg}`);
    }
  }
  if (!(options.repeats >= 1 && options.spawns >= 1 && options.pipeBytes >= 1)) usage();
  return options;
}

const here = (name: string) => decodeURIComponent(new URL(name, import.meta.url).pathname);

function sideFor(key: SideKey, python: string | null): Side | null {
  switch (key) {
    case "asyncio":
    case "raw":
      return {
        label: LABELS[key],
        command: Deno.execPath(),
        args: ["run", "--allow-all", "--v8-flags=--expose-gc", here("workloads.ts"), key],
      };
    case "node":
      return { label: LABELS.node, command: "node", args: ["--expose-gc", here("node_peer.mjs")] };
    case "cpython":
      return python === null
        ? null
        : { label: LABELS.cpython, command: python, args: [here("py_peer.py")] };
  }
}

interface Row {
  workload: string;
  size: number;
  seconds: Partial<Record<SideKey, number>>;
  /** theirs / ours, by side. */
  ratios: Partial<Record<SideKey, number>>;
  targets: { side: SideKey; min: number; met: boolean | null }[];
}

const WORKLOADS = [
  { name: "spawn", title: "spawn and wait for `true`, one after the other", targets: { raw: 0.9 } },
  {
    name: "pipe",
    title: "bytes through `cat`, written and read at the same time",
    targets: { raw: 0.8, cpython: 1 },
  },
] as const;

function formatBytesShort(n: number): string {
  if (n >= 1024 ** 3 && n % 1024 ** 3 === 0) return `${n / 1024 ** 3} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(0)} MiB`;
  return `${n} B`;
}

if (import.meta.main) {
  const options = parseOptions(Deno.args);
  const peers = await findPeers(false);
  const python = peers.cpython?.command ?? null;
  const notes: string[] = peers.notes.filter((n) => !n.startsWith("uvloop"));
  if (peers.node === null) options.sides.delete("node");
  const rows: Row[] = [];
  const results: Record<string, Partial<Record<SideKey, unknown>>> = {};
  for (const workload of WORKLOADS) {
    if (!options.only.has(workload.name)) continue;
    const size = workload.name === "spawn" ? options.spawns : options.pipeBytes;
    const row: Row = { workload: workload.name, size, seconds: {}, ratios: {}, targets: [] };
    results[workload.name] = {};
    for (const key of SIDE_KEYS) {
      if (!options.sides.has(key)) continue;
      const side = sideFor(key, python);
      if (side === null) continue;
      console.error(`subprocess/${workload.name} n=${size}: ${side.label}...`);
      const outcome: SideOutcome = await runSide(side, workload.name, size, options.repeats, 1800);
      if (outcome.ok) {
        console.error(
          `  best ${formatSeconds(outcome.result.seconds)}, median ${
            formatSeconds(outcome.result.median)
          }`,
        );
        row.seconds[key] = outcome.result.seconds;
        results[workload.name][key] = outcome.result;
      } else {
        console.error(`  FAILED: ${outcome.error}`);
        notes.push(`${workload.name} on ${side.label} failed: ${outcome.error}`);
        results[workload.name][key] = { error: outcome.error };
      }
    }
    const ours = row.seconds.asyncio;
    for (const key of SIDE_KEYS) {
      const theirs = row.seconds[key];
      if (key !== "asyncio" && ours !== undefined && theirs !== undefined) {
        row.ratios[key] = theirs / ours;
      }
    }
    for (const [side, min] of Object.entries(workload.targets) as [SideKey, number][]) {
      const value = row.ratios[side];
      row.targets.push({ side, min, met: value === undefined ? null : value >= min });
    }
    rows.push(row);
  }

  const headers = [
    "workload",
    "N",
    ...SIDE_KEYS.map((k) => LABELS[k]),
    ...SIDE_KEYS.filter((k) => k !== "asyncio").map((k) => `vs ${k}`),
    "targets",
  ];
  const table = markdownTable(
    headers,
    rows.map((row) => [
      row.workload,
      row.workload === "spawn" ? String(row.size) : formatBytesShort(row.size),
      ...SIDE_KEYS.map((k) => {
        const s = row.seconds[k];
        if (s === undefined) return "—";
        const rate = row.workload === "spawn"
          ? `${(row.size / s).toFixed(0)}/s`
          : `${(row.size / 2 ** 20 / s).toFixed(0)} MiB/s`;
        return `${formatSeconds(s)} (${rate})`;
      }),
      ...SIDE_KEYS.filter((k) => k !== "asyncio").map((k) => formatRatio(row.ratios[k])),
      row.targets.map((t) => `${t.side} ≥${t.min}× ${t.met === null ? "?" : t.met ? "✓" : "✗"}`)
        .join(", "),
    ]),
  );
  console.log(table);
  console.log(
    "\nratio = their time / ours: above 1, this library is faster. Best of " +
      `${options.repeats} run(s) after a warm-up run.`,
  );
  for (const note of notes) console.log(`note: ${note}`);

  const report = {
    suite: "subprocess",
    date: new Date().toISOString(),
    machine: await machineInfo(),
    runtimes: {
      ours: `Deno ${Deno.version.deno} @asyncio/asyncio`,
      raw: `Deno ${Deno.version.deno} Deno.Command`,
      node: peers.node && `Node ${peers.node.version} child_process`,
      cpython: peers.cpython && `CPython ${peers.cpython.version} asyncio`,
    },
    repeats: options.repeats,
    notes,
    results,
    rows,
  };
  await writeJson(`${OUT}subprocess.json`, report);
  await Deno.writeTextFile(`${OUT}subprocess.md`, table + "\n");
  if (options.check && rows.some((r) => r.targets.some((t) => t.met === false))) Deno.exit(1);
}
