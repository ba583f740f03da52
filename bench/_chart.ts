/**
 * The benchmarks' chart: reads the last results (bench/out/NAME.json, the
 * `*.partial.json` of partial runs left out), turns each runner's format
 * into the same ratios (this library ÷ each peer, above 1 meaning this
 * library is faster or smaller), and draws them as a plain SVG bar chart
 * (no script, no external font or image), for docs/bench.svg.
 *
 * ```sh
 * deno task bench --chart-only      # redraws docs/bench.svg from bench/out/*.json
 * ```
 *
 * @module
 */
import { formatRatio } from "./_harness.ts";
import { BUILD_DIR } from "./_procs.ts";

// ---- the normalised results -------------------------------------------------------------

/** The peers a ratio compares this library with. */
export type PeerKey = "raw" | "node" | "cpython" | "uvloop";

/** The peers, in the order of their bars, with their label and colour. */
export const PEERS: readonly { key: PeerKey; label: string; short: string; color: string }[] = [
  { key: "raw", label: "raw Deno", short: "raw Deno", color: "#4477aa" },
  { key: "node", label: "Node", short: "Node", color: "#228833" },
  { key: "cpython", label: "CPython asyncio", short: "CPython", color: "#ee6677" },
  { key: "uvloop", label: "uvloop", short: "uvloop", color: "#aa3377" },
];

/** One workload's ratios: this library ÷ each peer (>1: this library is faster or smaller). */
export interface ChartGroup {
  workload: string;
  ratios: Partial<Record<PeerKey, number>>;
}

/** One benchmark's results, as the chart draws them. */
export interface ChartSection {
  /** The report's name (bench/out/NAME.json). */
  name: string;
  title: string;
  /** When it ran (ISO 8601), when the report says. */
  date?: string;
  /** The machine facts of the report (`machineInfo()`), when it has them. */
  machine?: Record<string, string>;
  groups: ChartGroup[];
}

type Cells = Record<string, { best?: number } | undefined>;

interface Report {
  date?: string;
  machine?: Record<string, string>;
  // bench/run.ts's suites (loop, executor): theirs / ours per row.
  rows?: {
    workload?: string;
    label?: string;
    ratio?: number;
    ratioUvloop?: number;
    // subprocess: theirs / ours by side
    size?: number;
    ratios?: Partial<Record<PeerKey, number>>;
    // tls: best rates by server
    cells?: Cells;
  }[];
  // echo: best rates by server; udp: one entry per server and size.
  echo?: { size: number; cells?: Cells; server?: string; rps?: number }[];
  bulk?: { bytes: number; cells: Cells } | null;
  sendfile?: { sender: string; bytes: number; mib_per_s?: number }[];
  // streams
  echo_rps?: Record<string, number>;
  readline?: Record<string, { mb_per_s?: number } | null>;
}

const TITLES: Record<string, string> = {
  loop: "Loop core (time; memory)",
  executor: "Executors (time)",
  echo: "TCP echo (req/s, MiB/s)",
  streams: "Streams (req/s, MB/s)",
  udp: "UDP echo and sendfile (datagrams/s, MiB/s)",
  subprocess: "Subprocesses (time)",
  tls: "TLS echo (req/s)",
};

/** The order of the sections; others follow by name. */
export const ORDER: readonly string[] = Object.keys(TITLES);

/** `1024` -> "1 KiB", `100` -> "100 B". */
function sizeLabel(bytes: number): string {
  for (const [unit, n] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n} ${unit}`;
  }
  return `${bytes} B`;
}

/** ours / theirs, when both are positive numbers. */
function rate(ours: number | undefined, theirs: number | undefined): number | undefined {
  return ours !== undefined && theirs !== undefined && ours > 0 && theirs > 0
    ? ours / theirs
    : undefined;
}

/** The ratios of a cells object (best rates by server key; `asyncio` is this library). */
function cellRatios(
  cells: Cells,
  keys: Partial<Record<PeerKey, string>> = {},
): ChartGroup["ratios"] {
  const ratios: ChartGroup["ratios"] = {};
  for (const { key } of PEERS) {
    ratios[key] = rate(cells.asyncio?.best, cells[keys[key] ?? key]?.best);
  }
  return ratios;
}

/** Rates by peer (the udp and streams formats), ours under `ours`. */
function rateRatios(
  ours: number | undefined,
  theirs: Partial<Record<PeerKey, number | undefined>>,
) {
  const ratios: ChartGroup["ratios"] = {};
  for (const { key } of PEERS) ratios[key] = rate(ours, theirs[key]);
  return ratios;
}

/** The workloads of each runner's report, as ratios. */
function groupsOf(name: string, r: Report): ChartGroup[] {
  if (name === "echo") {
    const groups = (r.echo ?? []).map((e) => ({
      workload: `ping-pong ${sizeLabel(e.size)}`,
      ratios: cellRatios(e.cells ?? {}),
    }));
    if (r.bulk) {
      groups.push({
        workload: `bulk ${sizeLabel(r.bulk.bytes)}`,
        ratios: cellRatios(r.bulk.cells),
      });
    }
    return groups;
  }
  if (name === "tls") {
    return (r.rows ?? []).map((row) => ({
      workload: `ping-pong ${sizeLabel(row.size ?? 0)}`,
      ratios: cellRatios(row.cells ?? {}),
    }));
  }
  if (name === "udp") {
    const sizes = [...new Set((r.echo ?? []).map((e) => e.size))];
    const groups = sizes.map((size) => {
      const rps = (server: string) =>
        r.echo?.find((e) => e.server === server && e.size === size)?.rps;
      return {
        workload: `echo ${sizeLabel(size)}`,
        ratios: rateRatios(rps("asyncio"), {
          raw: rps("raw"),
          node: rps("node"),
          cpython: rps("cpython"),
          uvloop: rps("uvloop"),
        }),
      };
    });
    const sent = (sender: string) => r.sendfile?.find((s) => s.sender === sender);
    if (sent("asyncio")) {
      groups.push({
        workload: `sendfile ${sizeLabel(sent("asyncio")!.bytes)}`,
        ratios: rateRatios(sent("asyncio")!.mib_per_s, { raw: sent("raw")?.mib_per_s }),
      });
    }
    return groups;
  }
  if (name === "streams") {
    const rps = r.echo_rps ?? {};
    const mbs = (side: string) => r.readline?.[side]?.mb_per_s;
    return [
      {
        workload: "echo 1 KiB",
        ratios: rateRatios(rps["this library (streams)"], {
          raw: rps["raw Deno"],
          node: rps["Node net"],
          cpython: rps["CPython streams"],
          uvloop: rps["uvloop streams"],
        }),
      },
      {
        workload: "readline, 80-byte lines",
        ratios: rateRatios(mbs("ours"), { cpython: mbs("cpython"), uvloop: mbs("uvloop") }),
      },
    ];
  }
  if (name === "subprocess") {
    return (r.rows ?? []).map((row) => ({
      workload: row.workload === "spawn"
        ? `spawn and wait, ${row.size} × true`
        : `${row.workload} ${sizeLabel(row.size ?? 0)}${row.workload === "pipe" ? " via cat" : ""}`,
      ratios: { ...row.ratios },
    }));
  }
  // bench/run.ts's suites: one group per row, but for rows that repeat the
  // previous row's ratios (a per-call time beside its total).
  const groups: ChartGroup[] = [];
  let previous = "";
  for (const row of r.rows ?? []) {
    const ratios = { cpython: row.ratio, uvloop: row.ratioUvloop };
    const key = `${row.workload} ${ratios.cpython} ${ratios.uvloop}`;
    if (key !== previous) groups.push({ workload: row.label ?? row.workload ?? "?", ratios });
    previous = key;
  }
  return groups;
}

/** A report (bench/out/NAME.json, parsed) as a section of the chart. */
export function sectionOf(name: string, report: unknown): ChartSection {
  const r = report as Report;
  const groups = groupsOf(name, r).map((g) => ({
    workload: g.workload,
    ratios: Object.fromEntries(
      Object.entries(g.ratios).filter(([, v]) => v !== undefined && Number.isFinite(v) && v > 0),
    ),
  })).filter((g) => Object.keys(g.ratios).length > 0);
  return { name, title: TITLES[name] ?? name, date: r.date, machine: r.machine, groups };
}

/** The sections of the reports in `dir` (NAME.json; not NAME.partial.json), in ORDER. */
export async function readSections(dir: string): Promise<ChartSection[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = /^([\w-]+)\.json$/.exec(entry.name);
    if (entry.isFile && match) names.push(match[1]);
  }
  const rank = (n: string) => ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length;
  names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const sections: ChartSection[] = [];
  for (const name of names) {
    const section = sectionOf(name, JSON.parse(await Deno.readTextFile(`${dir}/${name}.json`)));
    if (section.groups.length > 0) sections.push(section);
  }
  return sections;
}

// ---- the SVG ----------------------------------------------------------------------------

const WIDTH = 960;
const PLOT_LEFT = 330;
const PLOT_RIGHT = WIDTH - 140; // room for the last value's text
const BAR = 14;
const BAR_GAP = 3;
const GROUP_GAP = 9;
const SECTION_HEAD = 30;
const FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif";

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function text(x: number, y: number, content: string, attrs = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}"${attrs ? " " + attrs : ""}>${
    escapeXml(content)
  }</text>`;
}

/** "2026-12-01T21:19:18.959Z" -> "2026-12-01 21:19 UTC". */
function shortDate(iso: string): string {
  return iso.replace(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d).*$/, "$1 $2 UTC");
}

/** The caption's facts: the dates the results span and the machines they ran on. */
function facts(sections: ChartSection[], source: string): string {
  const days = [...new Set(sections.map((s) => s.date?.slice(0, 10)).filter(Boolean))].sort();
  const machines = [
    ...new Set(
      sections.filter((s) => s.machine).map((s) => {
        const m = s.machine!;
        return [
          m.cpu && `${m.cpu}${m.cpus ? ` (${m.cpus} CPUs)` : ""}`,
          [m.os, m.arch].filter(Boolean).join(" "),
          m.deno && `Deno ${m.deno}`,
        ].filter(Boolean).join(", ");
      }),
    ),
  ];
  const when = days.length === 0
    ? "undated results"
    : days.length === 1
    ? `results of ${days[0]}`
    : `results of ${days[0]} to ${days.at(-1)}`;
  return `From ${source}, ${when}${machines.map((m) => `; ${m}`).join("")}.`;
}

/** Draws the sections as an SVG bar chart, one bar per ratio. */
export function renderChart(sections: ChartSection[], source = "bench/out/*.json"): string {
  const ratios = sections.flatMap((s) => s.groups.flatMap((g) => Object.values(g.ratios)));
  const lo = 2 ** Math.floor(Math.log2(Math.min(0.5, ...ratios) / 1.15));
  const hi = 2 ** Math.ceil(Math.log2(Math.max(2, ...ratios) * 1.15));
  const x = (v: number) =>
    PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) * Math.log2(v / lo) / Math.log2(hi / lo);
  const body: string[] = [];
  const top = 84;
  let y = top;
  for (const section of sections) {
    y += SECTION_HEAD;
    body.push(
      `<line x1="16" y1="${y - 22}" x2="${WIDTH - 16}" y2="${y - 22}" stroke="#d0d7de"/>`,
      text(16, y - 6, section.title, 'font-size="14" font-weight="bold" fill="#1f2328"'),
    );
    if (section.date) {
      body.push(
        text(WIDTH - 16, y - 6, shortDate(section.date), 'font-size="11" text-anchor="end"'),
      );
    }
    for (const group of section.groups) {
      const peers = PEERS.filter((p) => group.ratios[p.key] !== undefined);
      const height = peers.length * (BAR + BAR_GAP) - BAR_GAP;
      body.push(
        text(PLOT_LEFT - 10, y + height / 2 + 4, truncate(group.workload, 46), 'text-anchor="end"'),
      );
      for (const peer of peers) {
        const ratio = group.ratios[peer.key]!;
        const [a, b] = [x(Math.min(ratio, 1)), x(Math.max(ratio, 1))];
        body.push(
          `<rect class="bar" data-peer="${peer.key}" x="${a.toFixed(1)}" y="${y}" ` +
            `width="${Math.max(1, b - a).toFixed(1)}" height="${BAR}" fill="${peer.color}"/>`,
          text(b + 4, y + BAR - 3, `${formatRatio(ratio)} ${peer.short}`, 'class="value"'),
        );
        y += BAR + BAR_GAP;
      }
      y += GROUP_GAP - BAR_GAP;
    }
  }
  const bottom = y + 4;

  // The axis: a grid line per power of two (every other one when crowded), 1× in black.
  const axis: string[] = [];
  const octaves = Math.round(Math.log2(hi / lo));
  const step = octaves > 10 ? 2 : 1;
  for (let i = 0; i <= octaves; i += step) {
    const v = lo * 2 ** i;
    const label = `${Number(v.toPrecision(3))}×`;
    axis.push(
      `<line x1="${x(v).toFixed(1)}" y1="${top - 4}" x2="${x(v).toFixed(1)}" y2="${bottom}" ` +
        `stroke="#eaeef2"/>`,
      text(x(v), top - 8, label, 'font-size="11" text-anchor="middle"'),
    );
  }
  axis.push(
    `<line class="one" x1="${x(1).toFixed(1)}" y1="${top - 4}" x2="${x(1).toFixed(1)}" ` +
      `y2="${bottom}" stroke="#1f2328" stroke-width="1.5"/>`,
  );

  let lx = 16;
  const legend = PEERS.map((p) => {
    const item = `<rect x="${lx}" y="40" width="12" height="12" fill="${p.color}"/>` +
      text(lx + 17, 50.5, `vs ${p.label}`);
    lx += 17 + 7 * (p.label.length + 3) + 24;
    return item;
  });
  const caption = [
    "Each bar: this library ÷ the peer on the same workload (rate ÷ rate, or the peer's time " +
    "or memory ÷ ours), on a log scale;",
    "right of the 1× line this library is faster (or smaller). Best runs; the tables: *.md.",
    sections.length ? facts(sections, source) : `No results in ${source} yet.`,
    "Redraw: deno task bench --chart-only; run and redraw: deno task bench [SUITE ...].",
  ];
  const height = bottom + 16 + caption.length * 16;
  const title = "@asyncio/asyncio benchmarks: this library ÷ each peer";
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
    `viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeXml(title)}" ` +
    `font-family="${FONT}" font-size="12" fill="#424a53">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    text(16, 26, title, 'font-size="17" font-weight="bold" fill="#1f2328"'),
    ...legend,
    ...axis,
    ...body,
    ...caption.map((line, i) => text(16, bottom + 24 + i * 16, line, 'font-size="11"')),
    `</svg>`,
    "",
  ].join("\n");
}

/** Reads the reports in `dir`, writes the chart to `svgPath`; returns how many bars it drew. */
export async function writeChart(dir: string, svgPath: string): Promise<number> {
  const sections = await readSections(dir);
  const where = dir.replace(/\/?$/, "/");
  const svg = renderChart(sections, `${where === BUILD_DIR ? "bench/out/" : where}*.json`);
  await Deno.writeTextFile(svgPath, svg);
  return sections.reduce(
    (n, s) => n + s.groups.reduce((m, g) => m + Object.keys(g.ratios).length, 0),
    0,
  );
}
