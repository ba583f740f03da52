// Summarizes V8 .cpuprofile files (from `deno run --cpu-prof`): self time per
// function, heaviest first, then self time per file, and the share of the
// samples spent idle (waiting in epoll), in GC and in native code.
//
//   node bench/echo/cpuprofile_summary.mjs FILE.cpuprofile... [--top=25]
import fs from "node:fs";
import process from "node:process";

const args = process.argv.slice(2);
const top = Number(args.find((a) => a.startsWith("--top="))?.slice(6) ?? 25);
const files = args.filter((a) => !a.startsWith("--"));
if (files.length === 0) {
  console.error("usage: node cpuprofile_summary.mjs FILE.cpuprofile... [--top=N]");
  process.exit(2);
}

const cwd = `file://${process.cwd()}/`;
const where = (frame) => {
  if (!frame.url) return "";
  const url = frame.url.startsWith(cwd) ? frame.url.slice(cwd.length) : frame.url;
  return `${url}:${frame.lineNumber + 1}`;
};
const fmt = (us) => (us / 1000).toFixed(1).padStart(9);
const pct = (us, total) => `${(100 * us / total).toFixed(1)}%`.padStart(6);

for (const file of files) {
  const profile = JSON.parse(fs.readFileSync(file, "utf8"));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfByFn = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const frame = nodes.get(id).callFrame;
    const key = `${frame.functionName || "(anonymous)"}  ${where(frame)}`;
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + dt);
  });
  const get = (name) => selfByFn.get(`${name}  `) ?? 0;
  const idle = get("(idle)");
  const busy = total - idle;
  console.log(`${file}`);
  console.log(
    `  sampled ${fmt(total).trim()} ms: idle ${pct(idle, total).trim()}, ` +
      `busy ${fmt(busy).trim()} ms (GC ${pct(get("(garbage collector)"), busy).trim()}, ` +
      `(program) ${pct(get("(program)"), busy).trim()} of busy)`,
  );
  console.log(`  ${"self ms".padStart(9)} ${"busy".padStart(6)}  function  location`);
  const rows = [...selfByFn].filter(([k]) => !k.startsWith("(idle)")).sort((a, b) => b[1] - a[1]);
  for (const [key, us] of rows.slice(0, top)) {
    console.log(`  ${fmt(us)} ${pct(us, busy)}  ${key}`);
  }
  const byFile = new Map();
  for (const [key, us] of rows) {
    const loc = key.split("  ")[1] ?? "";
    const path = loc.replace(/:\d+$/, "") || key.split("  ")[0];
    byFile.set(path, (byFile.get(path) ?? 0) + us);
  }
  console.log(`  ${"self ms".padStart(9)} ${"busy".padStart(6)}  file`);
  for (const [path, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
    console.log(`  ${fmt(us)} ${pct(us, busy)}  ${path}`);
  }
  console.log();
}
