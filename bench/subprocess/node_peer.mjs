// The Node side of the subprocess benchmark (child_process):
//   node bench/subprocess/node_peer.mjs spawn 200 3
//   node bench/subprocess/node_peer.mjs pipe 1073741824 3
// Prints one JSON result, shaped as bench/_harness.ts's WorkloadResult.
import { spawn } from "node:child_process";

function payload(size) {
  const data = Buffer.alloc(size);
  for (let i = 0; i < 256 && i < size; i++) data[i] = i;
  for (let filled = 256; filled < size; filled *= 2) {
    data.copyWithin(filled, 0, Math.min(filled, size - filled));
  }
  return data;
}

function exited(child) {
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
}

const workloads = {
  async spawn(n) {
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      await exited(spawn("true", { stdio: "inherit" }));
    }
    const seconds = (performance.now() - start) / 1000;
    return { seconds, per_second: n / seconds };
  },
  async pipe(size) {
    const data = payload(size);
    const start = performance.now();
    const child = spawn("cat", { stdio: ["pipe", "pipe", "inherit"] });
    const done = exited(child);
    const chunks = [];
    child.stdout.on("data", (chunk) => chunks.push(chunk));
    child.stdin.end(data);
    await done;
    const output = Buffer.concat(chunks);
    const seconds = (performance.now() - start) / 1000;
    if (output.length !== size) throw new Error(`cat gave back ${output.length} of ${size}`);
    return { seconds, mib_per_second: size / 2 ** 20 / seconds };
  },
};

const [name, sizeArg, repeatsArg = "3"] = process.argv.slice(2);
const size = Number(sizeArg);
const fn = workloads[name];
if (fn === undefined || !(size > 0)) {
  console.error("usage: node_peer.mjs spawn|pipe SIZE [REPEATS]");
  process.exit(2);
}
await fn(size);
const runs = [];
for (let i = 0; i < Number(repeatsArg); i++) {
  globalThis.gc?.();
  runs.push(await fn(size));
}
const metrics = {};
for (const key of Object.keys(runs[0])) metrics[key] = Math.min(...runs.map((r) => r[key]));
const seconds = runs.map((r) => r.seconds);
const sorted = [...seconds].sort((a, b) => a - b);
const mid = sorted.length >> 1;
console.log(JSON.stringify({
  name,
  size,
  runtime: `Node ${process.version} child_process`,
  seconds: Math.min(...seconds),
  median: sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2,
  runs: seconds,
  metrics,
}));
