// The subprocess options: Python's `subprocess.Popen` keywords checked as
// asyncio checks them, the stdio forms mapped onto what `Deno.Command`
// accepts ("piped", "inherit", "null"), and the program looked up as Deno
// looks it up, for the cases where the library runs it through /bin/sh.
import { NotImplementedError } from "../loop/exceptions.ts";
import { allowFlag, notCapable } from "../loop/_permissions.ts";

/**
 * `subprocess.PIPE`: connect a new pipe to the child's stdin, stdout or
 * stderr. The value is Python's (-1).
 *
 * @example
 * ```ts
 * import { createSubprocessExec, PIPE, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const proc = await createSubprocessExec("echo", "piped", { stdout: PIPE });
 *   const [stdout] = await proc.communicate();
 *   console.log(new TextDecoder().decode(stdout!)); // "piped\n"
 * });
 * ```
 */
export const PIPE: number = -1;

/**
 * `subprocess.STDOUT`, for `stderr` only: the child's stderr goes where its
 * stdout goes (the same pipe, file or terminal). The value is Python's (-2).
 *
 * @example
 * ```ts
 * import { createSubprocessShell, PIPE, run, STDOUT } from "@asyncio/asyncio";
 * await run(async () => {
 *   const proc = await createSubprocessShell("echo out; echo err >&2", {
 *     stdout: PIPE,
 *     stderr: STDOUT,
 *   });
 *   const [stdout, stderr] = await proc.communicate();
 *   console.log(new TextDecoder().decode(stdout!)); // "out\nerr\n"
 *   console.log(stderr); // null
 * });
 * ```
 */
export const STDOUT: number = -2;

/**
 * `subprocess.DEVNULL`: connect the child's stdin, stdout or stderr to
 * `/dev/null`. The value is Python's (-3).
 *
 * @example
 * ```ts
 * import { createSubprocessExec, DEVNULL, run } from "@asyncio/asyncio";
 * await run(async () => {
 *   const proc = await createSubprocessExec("echo", "dropped", { stdout: DEVNULL });
 *   console.log(await proc.wait()); // 0
 *   console.log(proc.stdout); // null
 * });
 * ```
 */
export const DEVNULL: number = -3;

/** A file the child reads its stdin from: a `Deno.FsFile` (or anything with `read`). */
export interface StdioReader {
  /** Reads into `p`; `null` at the end of the file. */
  read(p: Uint8Array): Promise<number | null>;
}

/** A file the child writes its stdout or stderr to: a `Deno.FsFile` (or anything with `write`). */
export interface StdioWriter {
  /** Writes from `p`; returns how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
}

/**
 * What a child's stdin may be: `PIPE` or `DEVNULL` (other numbers, which
 * Python takes as file descriptors, throw `NotImplementedError`), a file to
 * read from (`Deno.FsFile`, `Deno.stdin`), or `null` to inherit the parent's.
 */
export type StdinOption = number | StdioReader | null;

/**
 * What a child's stdout or stderr may be: `PIPE`, `DEVNULL`, `STDOUT`
 * (stderr only), a file to write to (`Deno.FsFile`, `Deno.stdout`,
 * `Deno.stderr`), or `null` to inherit the parent's.
 */
export type StdoutOption = number | StdioWriter | null;

/** Options of `loop.subprocessExec`/`subprocessShell`: Python's `subprocess.Popen` keywords. */
export interface SubprocessOptions {
  /**
   * `PIPE`, `DEVNULL`, a file (`Deno.FsFile`), or `null` to inherit.
   * Omitted, it is `PIPE` for `loop.subprocessExec`/`subprocessShell` and
   * inherited for `createSubprocessExec`/`createSubprocessShell`, as in Python.
   */
  stdin?: StdinOption;
  /** `PIPE`, `DEVNULL`, a file (`Deno.FsFile`), or `null` to inherit; defaults as `stdin`. */
  stdout?: StdoutOption;
  /** `PIPE`, `DEVNULL`, `STDOUT`, a file (`Deno.FsFile`), or `null` to inherit; defaults as `stdin`. */
  stderr?: StdoutOption;
  /** The child's working directory; a relative program path is looked up from it. */
  cwd?: string | URL | null;
  /** The child's whole environment: it replaces the parent's, as in Python. */
  env?: Record<string, string> | null;
  /**
   * The program to run instead of `program` (exec) or `/bin/sh` (shell).
   * Deno sets `argv[0]` to the program's path, so with exec the child does
   * not see `program` as its `argv[0]` as it would in Python.
   */
  executable?: string | null;
  /** Python's `bufsize`: only 0 is allowed (anything else is `RangeError`), as in asyncio. */
  bufsize?: number;
  /** Must be false (`RangeError` otherwise): the pipes carry bytes. */
  universalNewlines?: boolean;
  /** Must be false (`RangeError` otherwise): the pipes carry bytes. */
  text?: boolean;
  /** Must be null (`RangeError` otherwise): the pipes carry bytes. */
  encoding?: string | null;
  /** Must be null (`RangeError` otherwise): the pipes carry bytes. */
  errors?: string | null;
  /** `false` for exec and `true` for shell, as asyncio requires (`RangeError` otherwise). */
  shell?: boolean;
  /** Only `true` (the default): Deno never passes other descriptors to a child. */
  closeFds?: boolean;
  /** The child's user id (a number; Deno's `uid`). */
  user?: number | null;
  /** The child's group id (a number; Deno's `gid`). */
  group?: number | null;
}

// Popen keywords that Deno.Command cannot honour.
const UNSUPPORTED: Record<string, string> = {
  preexecFn: "Deno cannot run JavaScript in the child before exec",
  passFds: "Deno passes no descriptors to a child",
  startNewSession: "Deno.Command cannot call setsid() in the child",
  processGroup: "Deno.Command cannot call setpgid() in the child",
  restoreSignals: "Deno.Command restores signals itself",
  extraGroups: "Deno.Command cannot call setgroups() in the child",
  umask: "Deno.Command cannot call umask() in the child",
  pipesize: "Deno.Command cannot size pipes",
  startupinfo: "Windows only",
  creationflags: "Windows only",
};

const KNOWN = new Set([
  "stdin",
  "stdout",
  "stderr",
  "cwd",
  "env",
  "executable",
  "bufsize",
  "universalNewlines",
  "text",
  "encoding",
  "errors",
  "shell",
  "closeFds",
  "user",
  "group",
]);

/** How one of the child's descriptors is connected. */
export type StdioPlan =
  | { kind: "pipe" }
  | { kind: "null" }
  | { kind: "inherit" }
  | { kind: "reader"; file: StdioReader }
  | { kind: "writer"; file: StdioWriter };

/** What `Deno.Command` gets, and what the transport does around it. */
export interface SpawnPlan {
  command: string;
  args: string[];
  options: Deno.CommandOptions;
  stdin: StdioPlan;
  stdout: StdioPlan;
  /** `null` when stderr follows stdout (`STDOUT`). */
  stderr: StdioPlan | null;
  /** The program as the caller named it, for messages. */
  program: string;
  /** Whether the program runs through the /bin/sh that does `2>&1`. */
  merged: boolean;
}

function isStdioReader(value: unknown): value is StdioReader {
  return typeof value === "object" && value !== null &&
    typeof (value as StdioReader).read === "function";
}

function isStdioWriter(value: unknown): value is StdioWriter {
  return typeof value === "object" && value !== null &&
    typeof (value as StdioWriter).write === "function";
}

function badStdio(name: string, value: unknown, extra = ""): never {
  if (typeof value === "number") {
    throw new NotImplementedError(
      `${name}=${value}: Deno exposes no file descriptors; pass PIPE, DEVNULL, ` +
        `null or a Deno.FsFile${extra}`,
    );
  }
  throw new TypeError(
    `${name} must be PIPE, DEVNULL${extra}, null (inherit) or a Deno.FsFile, got ${String(value)}`,
  );
}

function planStdin(value: unknown): StdioPlan {
  if (value === null || value === undefined) return { kind: "inherit" };
  if (value === PIPE) return { kind: "pipe" };
  if (value === DEVNULL) return { kind: "null" };
  if (value === Deno.stdin) return { kind: "inherit" };
  if (value === STDOUT) {
    throw new RangeError("STDOUT is only valid for stderr");
  }
  if (isStdioReader(value)) return { kind: "reader", file: value };
  return badStdio("stdin", value);
}

function planOutput(name: "stdout" | "stderr", value: unknown): StdioPlan {
  if (value === null || value === undefined) return { kind: "inherit" };
  if (value === PIPE) return { kind: "pipe" };
  if (value === DEVNULL) return { kind: "null" };
  if (name === "stdout" && value === Deno.stdout) return { kind: "inherit" };
  if (name === "stderr" && value === Deno.stderr) return { kind: "inherit" };
  if (value === STDOUT) throw new RangeError("STDOUT is only valid for stderr");
  if (isStdioWriter(value)) return { kind: "writer", file: value };
  return badStdio(name, value, name === "stderr" ? ", STDOUT" : "");
}

function denoStdio(plan: StdioPlan): "piped" | "inherit" | "null" {
  switch (plan.kind) {
    case "pipe":
    case "reader":
    case "writer":
      return "piped";
    case "null":
      return "null";
    case "inherit":
      return "inherit";
  }
}

/** The defaults of `loop.subprocessExec`: every stream a pipe. */
export const LOOP_DEFAULT_STDIO = PIPE;

/**
 * Checks `options` as asyncio and `subprocess.Popen` do and returns what
 * to spawn. `shell` says which method it is for. Omitted stdio keys are
 * `defaultStdio` (PIPE for the loop's methods, as in Python).
 */
export function planSpawn(
  argv: string[],
  shell: boolean,
  options: SubprocessOptions,
): SpawnPlan {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("the options must be an object");
  }
  for (const key of Object.keys(options)) {
    if (key in UNSUPPORTED) {
      const value = (options as Record<string, unknown>)[key];
      const harmless = value === undefined || value === null ||
        (key === "restoreSignals" && value === true) ||
        (key !== "restoreSignals" && (value === false || value === 0 ||
          (Array.isArray(value) && value.length === 0)));
      if (!harmless) {
        throw new NotImplementedError(`subprocess option ${key}: ${UNSUPPORTED[key]}`);
      }
      continue;
    }
    if (!KNOWN.has(key)) {
      throw new TypeError(`unexpected subprocess option: ${key}`);
    }
  }
  const {
    bufsize = 0,
    universalNewlines = false,
    text = false,
    encoding = null,
    errors = null,
    closeFds = true,
  } = options;
  if (options.shell !== undefined && Boolean(options.shell) !== shell) {
    throw new RangeError(shell ? "shell must be True" : "shell must be False");
  }
  if (universalNewlines) throw new RangeError("universal_newlines must be False");
  if (bufsize !== 0) throw new RangeError("bufsize must be 0");
  if (text) throw new RangeError("text must be False");
  if (encoding !== null && encoding !== undefined) throw new RangeError("encoding must be None");
  if (errors !== null && errors !== undefined) throw new RangeError("errors must be None");
  if (closeFds !== true) {
    throw new NotImplementedError("closeFds=false: Deno never passes other descriptors to a child");
  }
  for (const arg of argv) {
    if (typeof arg !== "string") {
      throw new TypeError(`program arguments must be strings, got ${typeof arg}`);
    }
  }

  const pick = (key: "stdin" | "stdout" | "stderr") =>
    options[key] === undefined ? LOOP_DEFAULT_STDIO : options[key];
  const stdin = planStdin(pick("stdin"));
  const stdout = planOutput("stdout", pick("stdout"));
  const stderrValue = pick("stderr");
  let stderr: StdioPlan | null;
  let merge = false;
  if (stderrValue === STDOUT) {
    if (stdout.kind === "null") {
      stderr = { kind: "null" };
    } else {
      stderr = null;
      merge = true;
    }
  } else {
    stderr = planOutput("stderr", stderrValue);
  }

  const denoOptions: Deno.CommandOptions = {
    stdin: denoStdio(stdin),
    stdout: denoStdio(stdout),
    stderr: stderr === null ? "null" : denoStdio(stderr),
  };
  const cwd = options.cwd ?? null;
  if (cwd !== null) {
    if (typeof cwd !== "string" && !(cwd instanceof URL)) {
      throw new TypeError("cwd must be a string or a file URL");
    }
    denoOptions.cwd = cwd;
  }
  const env = options.env ?? null;
  if (env !== null) {
    if (typeof env !== "object") throw new TypeError("env must be an object of strings");
    for (const [name, value] of Object.entries(env)) {
      if (typeof value !== "string") {
        throw new TypeError(`env values must be strings: ${name} is ${typeof value}`);
      }
    }
    denoOptions.env = { ...env };
    denoOptions.clearEnv = true;
  }
  if (options.user !== undefined && options.user !== null) {
    if (typeof options.user !== "number") {
      throw new NotImplementedError("user: only a numeric uid is supported on Deno");
    }
    denoOptions.uid = options.user;
  }
  if (options.group !== undefined && options.group !== null) {
    if (typeof options.group !== "number") {
      throw new NotImplementedError("group: only a numeric gid is supported on Deno");
    }
    denoOptions.gid = options.group;
  }

  const executable = options.executable ?? null;
  if (executable !== null && typeof executable !== "string") {
    throw new TypeError("executable must be a string");
  }
  let command: string;
  let args: string[];
  if (shell) {
    command = executable ?? "/bin/sh";
    args = ["-c", ...argv];
  } else {
    command = executable ?? argv[0];
    args = argv.slice(1);
  }
  const program = command;
  if (merge) {
    // stderr: STDOUT. Deno.Command cannot point fd 2 at fd 1, so the
    // program runs through /bin/sh, which does `2>&1` and then `exec`s it
    // (same pid and arguments). sh would report a missing program itself,
    // after the spawn: look it up first, as Deno does.
    const resolved = lookUpProgram(command, cwd, env);
    checkRunPermission(command, resolved);
    args = [...shellPrelude(env), resolved, ...args];
    command = "/bin/sh";
  }
  return { command, args, options: denoOptions, stdin, stdout, stderr, program, merged: merge };
}

/**
 * The /bin/sh that does `2>&1` sets `PWD` (to the real directory) in the
 * environment it passes on; Deno's direct spawn passes the environment as
 * it is. The prelude puts `PWD` back as the child would have had it.
 */
function shellPrelude(env: Record<string, string> | null): string[] {
  const exec = 'exec "$@" 2>&1';
  let pwd: string | undefined;
  try {
    pwd = env !== null ? env.PWD : Deno.env.get("PWD");
  } catch {
    // No env permission: leave PWD to sh.
    return ["-c", exec, "sh"];
  }
  if (pwd === undefined) return ["-c", `unset PWD; ${exec}`, "sh"];
  return ["-c", `PWD=$1; shift; ${exec}`, "sh", pwd];
}

function cwdPath(cwd: string | URL | null): string {
  if (cwd === null) return Deno.cwd();
  const path = cwd instanceof URL ? decodeURIComponent(cwd.pathname) : cwd;
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

// What Deno says when a program is not found, so that both paths agree.
function notFound(program: string): Deno.errors.NotFound {
  return new Deno.errors.NotFound(`Failed to spawn '${program}': entity not found`);
}

/** Whether `path` is an executable file, no file at all, or a file that cannot run. */
function executableFile(path: string): "yes" | "no-file" | "not-executable" {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return "no-file";
    }
    throw error;
  }
  if (!info.isFile || info.mode === null || (info.mode & 0o111) === 0) return "not-executable";
  return "yes";
}

/**
 * Finds `program` as Deno does: a name with a `/` relative to `cwd`,
 * otherwise in `PATH` (the child's `env.PATH`, else the parent's).
 * Without read permission the lookup is skipped (sh then reports a
 * missing program as exit status 127, on the child's output).
 */
export function lookUpProgram(
  program: string,
  cwd: string | URL | null,
  env: Record<string, string> | null,
): string {
  if (program === "") throw notFound(program);
  try {
    const base = cwdPath(cwd);
    if (program.includes("/")) {
      const path = program.startsWith("/") ? program : `${base}/${program}`;
      const state = executableFile(path);
      if (state === "no-file") throw notFound(program);
      if (state === "not-executable") {
        throw new Deno.errors.PermissionDenied(
          `Failed to spawn '${program}': Permission denied (os error 13)`,
        );
      }
      return path;
    }
    const pathVariable = env?.PATH ?? Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
    for (const dir of pathVariable.split(":")) {
      const directory = dir === "" ? base : dir.startsWith("/") ? dir : `${base}/${dir}`;
      const path = `${directory}/${program}`;
      if (executableFile(path) === "yes") return path;
    }
    throw notFound(program);
  } catch (error) {
    // No read (or env) permission to look: leave the lookup to sh.
    if (error instanceof Deno.errors.NotCapable) return program;
    throw error;
  }
}

/**
 * The /bin/sh wrapper needs run permission for /bin/sh; the program itself
 * must be allowed too, or the wrapper would widen `--allow-run=program`.
 */
function checkRunPermission(program: string, resolved: string): void {
  if (Deno.permissions.querySync({ name: "run", command: resolved }).state === "granted") return;
  let state = Deno.permissions.querySync({ name: "run", command: program }).state;
  if (state === "prompt") {
    state = Deno.permissions.requestSync({ name: "run", command: program }).state;
  }
  if (state === "granted") return;
  // Name /bin/sh too when it is missing as well, so that one run tells all.
  const sh = Deno.permissions.querySync({ name: "run", command: "/bin/sh" }).state === "granted";
  throw sh ? notCapable("run", program, [allowFlag("run", program)]) : notCapable(
    "run",
    program,
    [allowFlag("run", program, "/bin/sh")],
    undefined,
    ` (stderr: STDOUT runs it through /bin/sh)`,
  );
}
