/**
 * The process side of the server benchmarks (echo, streams, udp,
 * subprocess, tls): where things are, child processes that are always
 * reaped (a server is killed on the way out, whatever happens), servers
 * that print `LISTENING <port>`, the C load generators compiled on demand,
 * CPU pinning with `taskset`, CPU accounting from /proc, and the peers
 * (Node, CPython, uvloop) found on this machine.
 *
 * @module
 */
import { commandOutput, commandSucceeds, findPythons, type Pythons } from "./_harness.ts";

// ---- where things are -------------------------------------------------------------------

const BENCH = new URL("./", import.meta.url);

/** An absolute path below bench/, e.g. `benchPath("echo/loadgen.c")`. */
export function benchPath(relative: string): string {
  return decodeURIComponent(new URL(relative, BENCH).pathname);
}

/** The repository's root (with a trailing slash), where deno.json is: servers run there. */
export const ROOT: string = benchPath("../");

/** Where compiled load generators and made-up input files go: bench/out/. */
export const BUILD_DIR: string = benchPath("out/");

/**
 * Where reports (NAME.json, NAME.md) go and where the chart reads them:
 * `$BENCH_OUT` (with a trailing slash), or bench/out/. A smoke run can
 * write elsewhere and leave the real results alone.
 */
export const OUT: string = (() => {
  const dir = Deno.env.get("BENCH_OUT");
  if (dir === undefined || dir === "") return BUILD_DIR;
  const absolute = dir.startsWith("/") ? dir : `${Deno.cwd()}/${dir}`;
  return absolute.endsWith("/") ? absolute : `${absolute}/`;
})();

// ---- child processes ----------------------------------------------------------------------

/** Every process started and not yet reaped. */
const children = new Set<Deno.ChildProcess>();
/** Set on SIGINT/SIGTERM: no new process is started. */
let shuttingDown = false;

/** Whether SIGINT or SIGTERM arrived (see `stopAllOnSignals`). */
export function isShuttingDown(): boolean {
  return shuttingDown;
}

/** Spawns `command` (program and arguments), tracked until reaped; refuses once shutting down. */
export function spawnTracked(
  command: string[],
  options: Omit<Deno.CommandOptions, "args"> = {},
): Deno.ChildProcess {
  if (shuttingDown) throw new Error("interrupted");
  const [program, ...args] = command;
  const child = new Deno.Command(program, { cwd: ROOT, stdin: "null", ...options, args }).spawn();
  children.add(child);
  child.status.finally(() => children.delete(child));
  return child;
}

/** Sends `signal`, ignoring a process that has exited already. */
export function killQuietly(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // Exited already.
  }
}

/** Ends a process: SIGTERM, then SIGKILL after `graceSeconds`. Resolves when reaped. */
export async function stopProcess(
  child: Deno.ChildProcess,
  graceSeconds = 3,
): Promise<Deno.CommandStatus> {
  killQuietly(child, "SIGTERM");
  const timer = setTimeout(() => killQuietly(child, "SIGKILL"), graceSeconds * 1000);
  try {
    return await child.status;
  } finally {
    clearTimeout(timer);
    children.delete(child);
  }
}

/** Stops every tracked process. */
export async function stopAll(graceSeconds = 1): Promise<void> {
  while (children.size > 0) {
    await Promise.all([...children].map((child) => stopProcess(child, graceSeconds)));
  }
}

/**
 * On SIGINT or SIGTERM: starts no new process, stops the tracked ones and
 * exits with status 130. Returns a function that removes the listeners.
 */
export function stopAllOnSignals(): () => void {
  const onSignal = () => {
    shuttingDown = true;
    stopAll().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return () => {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  };
}

/** Collects a stream's text into `sink.text`, keeping the last `limit` characters. */
export async function collect(
  stream: ReadableStream<Uint8Array>,
  sink: { text: string },
  limit = 1 << 20,
): Promise<void> {
  const decoder = new TextDecoder();
  try {
    for await (const chunk of stream) {
      sink.text = (sink.text + decoder.decode(chunk, { stream: true })).slice(-limit);
    }
  } catch {
    // The process went away.
  }
}

/** What `runProcess` returns. */
export interface ProcessResult {
  /** The exit code; 128 + the signal's number when a signal ended it. */
  code: number;
  stdout: string;
  stderr: string;
}

const SIGNAL_NUMBERS: Record<string, number> = {
  SIGINT: 2,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGALRM: 14,
  SIGTERM: 15,
};

/** Runs `command` to completion, killed after `timeoutSeconds`; tracked meanwhile. */
export async function runProcess(
  command: string[],
  timeoutSeconds: number,
  options: Omit<Deno.CommandOptions, "args" | "stdout" | "stderr"> = {},
): Promise<ProcessResult> {
  const child = spawnTracked(command, { ...options, stdout: "piped", stderr: "piped" });
  const stdout = { text: "" };
  const stderr = { text: "" };
  const timer = setTimeout(() => killQuietly(child, "SIGKILL"), timeoutSeconds * 1000);
  try {
    const [status] = await Promise.all([
      child.status,
      collect(child.stdout, stdout),
      collect(child.stderr, stderr),
    ]);
    const code = status.signal !== null ? 128 + (SIGNAL_NUMBERS[status.signal] ?? 0) : status.code;
    return { code, stdout: stdout.text, stderr: stderr.text };
  } finally {
    clearTimeout(timer);
  }
}

/** Parses the last line of `text` as JSON. */
export function lastJson<T = Record<string, unknown>>(text: string): T {
  return JSON.parse(text.trim().split("\n").at(-1) ?? "") as T;
}

/** A process that printed `LISTENING <port>`. */
export interface Listening {
  child: Deno.ChildProcess;
  port: number;
  /** Its output so far (the last MiB), still being collected. */
  stdout: { text: string };
  stderr: { text: string };
  /** Resolves when both streams have ended. */
  done: Promise<void>;
}

/**
 * Starts `command` (from the repository's root, `NO_COLOR=1`) and waits
 * until it prints `LISTENING <port>`; its output keeps being collected, so
 * that it never blocks on a full pipe. Throws, with what it printed, when
 * it exits first or takes longer than `timeoutSeconds`.
 */
export async function startListening(
  command: string[],
  label: string,
  timeoutSeconds = 30,
): Promise<Listening> {
  const child = spawnTracked(command, {
    env: { NO_COLOR: "1" }, // plain error messages in the report
    stdout: "piped",
    stderr: "piped",
  });
  const stdout = { text: "" };
  const stderr = { text: "" };
  const done = Promise.all([collect(child.stdout, stdout), collect(child.stderr, stderr)])
    .then(() => {});
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = performance.now() + timeoutSeconds * 1000;
  for (;;) {
    const match = /^LISTENING (\d+)$/m.exec(stdout.text);
    if (match !== null) return { child, port: Number(match[1]), stdout, stderr, done };
    const why = exited
      ? "exited before listening"
      : performance.now() > deadline
      ? `no LISTENING line within ${timeoutSeconds} s`
      : null;
    if (why !== null) {
      await stopProcess(child, 1);
      await done;
      throw new Error(`${label}: ${why}: ${(stdout.text + stderr.text).trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// ---- load generators ----------------------------------------------------------------------

async function mtime(path: string): Promise<number | undefined> {
  return (await Deno.stat(path).catch(() => null))?.mtime?.getTime();
}

/**
 * Compiles `source` (a path below bench/) into bench/out/`binary` with
 * `cc -O2 FLAGS -o BINARY SOURCE LIBS` when the binary is missing or older
 * than its source; returns the binary's path.
 */
export async function buildC(
  source: string,
  binary: string,
  options: { flags?: string[]; libs?: string[]; hint?: string } = {},
): Promise<string> {
  const src = benchPath(source);
  const bin = `${BUILD_DIR}${binary}`;
  const [built, written] = [await mtime(bin), await mtime(src)];
  if (built !== undefined && written !== undefined && built >= written) return bin;
  await Deno.mkdir(BUILD_DIR, { recursive: true });
  console.error(`compiling ${bin}`);
  const args = ["-O2", ...(options.flags ?? []), "-o", bin, src, ...(options.libs ?? [])];
  const result = await runProcess(["cc", ...args], 120);
  if (result.code !== 0) {
    throw new Error(`cc ${args.join(" ")} failed${options.hint ?? ""}:\n${result.stderr}`);
  }
  return bin;
}

// ---- CPU pinning --------------------------------------------------------------------------

/** Command prefixes that pin the client (load generator, sink) and the server to a CPU each. */
export interface Pins {
  /** The client's command prefix (`taskset -c 0`), or none. */
  client: string[];
  /** The client's flags: `--spin` when it has a CPU of its own and polls. */
  clientFlags: string[];
  /** The server's command prefix (`taskset -c 1`), or none. */
  server: string[];
  /** What was done, for the report. */
  note: string;
}

/**
 * Pins the client to CPU 0 and the server to CPU 1 when `wanted`, the
 * machine has two CPUs and `taskset` works. With `spin`, the client gets
 * `--spin`: with a CPU of its own it polls without sleeping (an idle vCPU
 * halts, and waking it up again costs a VM exit per message).
 */
export async function findPins(wanted: boolean, spin = true): Promise<Pins> {
  const none = (note: string): Pins => ({ client: [], clientFlags: [], server: [], note });
  if (!wanted) return none("not pinned (--no-pin)");
  if (navigator.hardwareConcurrency < 2) return none("not pinned: fewer than 2 CPUs");
  const ok = await commandSucceeds("taskset", ["-c", "0", "true"]) &&
    await commandSucceeds("taskset", ["-c", "1", "true"]);
  if (!ok) return none("not pinned: taskset missing or CPUs 0 and 1 not available");
  return {
    client: ["taskset", "-c", "0"],
    clientFlags: spin ? ["--spin"] : [],
    server: ["taskset", "-c", "1"],
    note: `client on CPU 0 (taskset -c 0${spin ? ", busy-polling with --spin" : ""}), ` +
      "server on CPU 1 (taskset -c 1)",
  };
}

// ---- CPU accounting -----------------------------------------------------------------------

// USER_HZ, the unit of /proc/stat and /proc/PID/stat (100 on Linux).
const CLK_TCK = 100;

/** The machine's busy CPU time so far (all CPUs, without steal), in seconds. */
export async function machineBusySeconds(): Promise<number | undefined> {
  try {
    const line = (await Deno.readTextFile("/proc/stat")).split("\n")[0];
    const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq) / CLK_TCK;
  } catch {
    return undefined; // not Linux
  }
}

/** A process's CPU time so far (user + system, every thread), in seconds. */
export async function processCpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    // The fields after the command name (which may hold spaces) in parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
  } catch {
    return undefined;
  }
}

/**
 * Waits (up to `maxSeconds`) until the machine's processes keep at most
 * `cpus` CPUs busy over half a second; returns what they used last.
 */
export async function waitForQuiet(maxSeconds: number, cpus: number): Promise<number | undefined> {
  const deadline = performance.now() + maxSeconds * 1000;
  for (;;) {
    const b0 = await machineBusySeconds();
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const b1 = await machineBusySeconds();
    if (b0 === undefined || b1 === undefined) return undefined;
    const others = (b1 - b0) / ((performance.now() - t0) / 1000);
    if (others <= cpus || performance.now() >= deadline) return others;
  }
}

// ---- peers --------------------------------------------------------------------------------

/** The other runtimes on this machine: Node, and the Python peers of `findPythons`. */
export interface Peers extends Pythons {
  /** `node` on PATH and its version ("v20.20.2"). */
  node: { command: string; version: string } | null;
}

/** Finds Node, CPython and (when `withUvloop`) uvloop; installs nothing. */
export async function findPeers(withUvloop: boolean): Promise<Peers> {
  const pythons = await findPythons(withUvloop);
  const version = await commandOutput("node", ["--version"]);
  const node = /^v\d+/.test(version) ? { command: "node", version } : null;
  const notes = [...pythons.notes, ...(node ? [] : ["Node skipped: `node --version` did not run"])];
  return { ...pythons, node, notes };
}

/** A server a benchmark runs: its key in the report, its label, its command line. */
export interface ServerSpec<K extends string = string> {
  key: K;
  label: string;
  /** The program and its arguments (a Deno server's: `deno run ...`). */
  command: string[];
  /** The runtime's version, for the report. */
  version: string;
}

/**
 * The servers of the peers that `findPeers` found: `node NODE_SCRIPT`,
 * `python PYTHON_SCRIPT` (CPython) and `python PYTHON_SCRIPT --uvloop`.
 */
export function peerServers(
  peers: Peers,
  scripts: { node: string; python: string },
  labels: { node?: string; cpython?: string; uvloop?: string } = {},
): ServerSpec<"node" | "cpython" | "uvloop">[] {
  const specs: ServerSpec<"node" | "cpython" | "uvloop">[] = [];
  if (peers.node) {
    specs.push({
      key: "node",
      label: labels.node ?? "Node",
      command: [peers.node.command, scripts.node],
      version: `Node ${peers.node.version}`,
    });
  }
  if (peers.cpython) {
    specs.push({
      key: "cpython",
      label: labels.cpython ?? "CPython",
      command: [peers.cpython.command, scripts.python],
      version: `CPython ${peers.cpython.version} asyncio`,
    });
  }
  if (peers.uvloop) {
    specs.push({
      key: "uvloop",
      label: labels.uvloop ?? "uvloop",
      command: [peers.uvloop.command, scripts.python, "--uvloop"],
      version: peers.uvloop.version,
    });
  }
  return specs;
}

/** The library's commit (`git describe --always --dirty`), or "". */
export async function gitCommit(): Promise<string> {
  const out = await commandOutput("git", ["-C", ROOT, "describe", "--always", "--dirty"]);
  return /^[0-9a-f]{7,}(-dirty)?$/.test(out) ? out : "";
}

/** Parses a positive number option; calls `usage` (which exits) on anything else. */
export function positive(flag: string, value: string | undefined, usage: (m: string) => never) {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) usage(`${flag} needs a positive number`);
  return n;
}

/** Parses `--servers=a,b` against the known keys; calls `usage` on an unknown one. */
export function parseKeys<K extends string>(
  value: string | undefined,
  keys: readonly K[],
  usage: (m: string) => never,
): Set<K> {
  const picked = (value ?? "").split(",");
  for (const key of picked) {
    if (!(keys as readonly string[]).includes(key)) usage(`unknown server ${key}`);
  }
  return new Set(picked as K[]);
}
