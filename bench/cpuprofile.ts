/**
 * Summarizes a V8 `.cpuprofile` (from `deno run --cpu-prof`): self time and
 * total (inclusive) time per function, with file:line, heaviest first.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc --cpu-prof --cpu-prof-dir=bench/out/prof \
 *   bench/loop/workloads.ts gather 1e5
 * deno run -A bench/cpuprofile.ts bench/out/prof/*.cpuprofile [--top=30] [--total]
 * ```
 *
 * `--total` sorts by inclusive time; `--files` adds a table of self time
 * per file.
 *
 * @module
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self and total time of one function, in microseconds. */
export interface FunctionTime {
  name: string;
  location: string;
  self: number;
  total: number;
}

function shortUrl(url: string): string {
  if (url === "") return "";
  const cwd = `file://${Deno.cwd()}/`;
  if (url.startsWith(cwd)) return url.slice(cwd.length);
  return url.replace(/^ext:/, "ext:").replace(/^file:\/\//, "");
}

function locationOf(frame: CallFrame): string {
  const url = shortUrl(frame.url);
  if (url === "") return "";
  return `${url}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`;
}

/** Sums the samples' time per function (a function is its name and location). */
export function summarize(profile: Profile): { functions: FunctionTime[]; totalUs: number } {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const keyOf = (node: ProfileNode) =>
    `${node.callFrame.functionName || "(anonymous)"}\u0000${locationOf(node.callFrame)}`;
  const times = new Map<string, FunctionTime>();
  const entry = (node: ProfileNode) => {
    const key = keyOf(node);
    let t = times.get(key);
    if (t === undefined) {
      t = {
        name: node.callFrame.functionName || "(anonymous)",
        location: locationOf(node.callFrame),
        self: 0,
        total: 0,
      };
      times.set(key, t);
    }
    return t;
  };
  let totalUs = 0;
  // The delta at i is the time from sample i-1 to sample i; it is charged
  // to sample i, as Chrome DevTools does.
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    let node = byId.get(profile.samples[i]);
    if (node === undefined) continue;
    entry(node).self += dt;
    const seen = new Set<string>();
    while (node !== undefined) {
      const key = keyOf(node);
      if (!seen.has(key)) {
        seen.add(key);
        entry(node).total += dt;
      }
      const up = parent.get(node.id);
      node = up === undefined ? undefined : byId.get(up);
    }
  }
  return { functions: [...times.values()], totalUs };
}

function ms(us: number): string {
  return (us / 1000).toFixed(1).padStart(8);
}

function pct(us: number, total: number): string {
  return `${(100 * us / total).toFixed(1)}%`.padStart(6);
}

if (import.meta.main) {
  const files = Deno.args.filter((a) => !a.startsWith("--"));
  const top = Number(Deno.args.find((a) => a.startsWith("--top="))?.slice(6) ?? 30);
  const byTotal = Deno.args.includes("--total");
  const perFile = Deno.args.includes("--files");
  if (files.length === 0) {
    console.error("usage: deno run -A bench/cpuprofile.ts FILE.cpuprofile... [--top=N] [--total]");
    Deno.exit(2);
  }
  for (const file of files) {
    const profile = JSON.parse(await Deno.readTextFile(file)) as Profile;
    const { functions, totalUs } = summarize(profile);
    const idle = functions.filter((f) => f.name === "(idle)").reduce((s, f) => s + f.self, 0);
    console.log(`${file}: ${ms(totalUs).trim()} ms sampled, ${ms(idle).trim()} ms idle`);
    functions.sort((a, b) => byTotal ? b.total - a.total : b.self - a.self);
    console.log(
      `${"self ms".padStart(8)} ${"self".padStart(6)} ${"total ms".padStart(8)}  function`,
    );
    for (const f of functions.slice(0, top)) {
      console.log(
        `${ms(f.self)} ${pct(f.self, totalUs)} ${ms(f.total)}  ${f.name}  ${f.location}`,
      );
    }
    if (perFile) {
      const byFile = new Map<string, number>();
      for (const f of functions) {
        const path = f.location.replace(/:\d+:\d+$/, "") || f.name;
        byFile.set(path, (byFile.get(path) ?? 0) + f.self);
      }
      console.log(`\n${"self ms".padStart(8)} ${"self".padStart(6)}  file`);
      for (const [path, self] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) {
        console.log(`${ms(self)} ${pct(self, totalUs)}  ${path}`);
      }
    }
    console.log();
  }
}
