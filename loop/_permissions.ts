// Permission errors that name the flag to add. Deno's own NotCapable says
// `Requires net access to "127.0.0.1:8888", run again with the --allow-net
// flag`; the ones made here name the value as well, taken from the call's
// own arguments, and keep Deno's error as `cause`:
// `Requires net access to "127.0.0.1:8888": run again with
// --allow-net=127.0.0.1:8888`. They are still `Deno.errors.NotCapable`.
//
// Measured on Deno 2.9.6 (`deno run --no-prompt`, the permission missing):
// - Deno.connect and Deno.listen (TCP), Deno.listenDatagram and a UDP send:
//   net access to "host:port" (IPv6 as "[::1]:8888"; the flag takes
//   `--allow-net=[::1]:8888`, and port 0 takes `--allow-net=127.0.0.1:0`).
//   Permissions are per name: `--allow-net=localhost:8888` does not cover
//   127.0.0.1:8888, and this library resolves names itself (Happy
//   Eyeballs), so a name needs the name and the address.
// - node:dns lookup: no NotCapable but an `Error` with code EPERM
//   ("getaddrinfo EPERM example.com"); it needs `--allow-net=example.com`
//   (a grant with a port does not do). lookupService needs "host:port".
// - Unix sockets (listen, connect, a datagram socket bound to a path): net
//   access to "unix:/abs/path" (the flag takes `--allow-net=unix:/abs/path`;
//   a relative path is refused), read access to the path, then write access;
//   a send to a path: net and write access.
// - Deno.Command: run access to the program as named ("true", "/bin/true").
// - Deno.readFile and friends, Deno.lstat: read access to the path as given
//   (relative paths too); Deno.remove: write access.
// - Deno.env.get: env access to the variable; Deno.execPath and Deno.cwd
//   need no permission.
// - A Worker from a file: URL: read access to the module and to each module
//   it imports (the main program's own imports need none); a dynamic
//   `import()` of an unreadable file rejects with a TypeError, not
//   NotCapable.
// - Without --unstable-net, Deno.listenDatagram is missing altogether
//   (transports/_datagram_io.ts says so in its own error).

// Deno checks net access to "unix:/abs/path" for a Unix socket, then the file permissions.
type UnixPermission = "net" | "read" | "write";

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/**
 * Whether the permission is granted, asking for it as Deno itself would
 * (a prompt on a terminal; refused under `--no-prompt`).
 */
export function ensurePermission(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    let state = Deno.permissions.querySync(descriptor).state;
    if (state === "prompt") state = Deno.permissions.requestSync(descriptor).state;
    return state === "granted";
  } catch {
    return false;
  }
}

// A flag's value, quoted for a shell when it needs it (`[::1]:8888` is a
// glob pattern to zsh).
function shellValue(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The flag granting `name` for `values`: `--allow-net=127.0.0.1:8888`. */
export function allowFlag(name: string, ...values: string[]): string {
  return `--allow-${name}=${shellValue(values.join(","))}`;
}

/** `host:port` as Deno writes it (IPv6 in brackets); the host alone without a port. */
export function netResource(host: string, port?: number): string {
  if (port === undefined) return host;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `path` made absolute against the current directory, as Deno resolves flag paths. */
export function absolutePath(path: string | URL): string {
  let text = path instanceof URL ? decodeURIComponent(path.pathname) : String(path);
  if (!text.startsWith("/")) {
    let cwd: string;
    try {
      cwd = Deno.cwd();
    } catch {
      return text;
    }
    text = `${cwd}/${text}`;
  }
  const parts: string[] = [];
  for (const part of text.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

// What each error made here is about, for `neededResource`.
const needed = new WeakMap<object, { what: string; resource: string }>();

/**
 * A `Deno.errors.NotCapable` saying what is needed and which flags grant
 * it: `Requires <what> access to "<resource>"<note>: run again with <flags>`.
 */
export function notCapable(
  what: string,
  resource: string,
  flags: string[],
  cause?: unknown,
  note = "",
): Deno.errors.NotCapable {
  const error = new Deno.errors.NotCapable(
    `Requires ${what} access to ${JSON.stringify(resource)}${note}: ` +
      `run again with ${flags.join(" ")}`,
    cause === undefined ? undefined : { cause },
  );
  needed.set(error, { what, resource });
  return error;
}

/** The resource an error made by `notCapable` is about, when it is about `what` access. */
export function neededResource(error: unknown, what: string): string | undefined {
  const entry = typeof error === "object" && error !== null ? needed.get(error) : undefined;
  return entry?.what === what ? entry.resource : undefined;
}

/**
 * `error`, or when it is Deno's NotCapable, one naming
 * `--allow-net=host:port` (`note` goes after the resource).
 */
export function netAccess(error: unknown, host: string, port?: number, note = ""): unknown {
  if (!(error instanceof Deno.errors.NotCapable)) return error;
  const resource = netResource(host, port);
  return notCapable("net", resource, [allowFlag("net", resource)], error, note);
}

/**
 * `error`, or when it is a permission error of Deno's `node:dns` (EPERM
 * without net access to `host`, or to `host:port` for a reverse lookup),
 * a NotCapable naming `--allow-net=host`.
 */
export function resolverAccess(error: unknown, host: string, port?: number): unknown {
  if ((error as { code?: unknown } | null)?.code !== "EPERM") return error;
  const resource = netResource(host, port);
  if (granted({ name: "net", host: resource })) return error;
  return notCapable("net", resource, [allowFlag("net", resource)], error, " to resolve it");
}

/**
 * `error`, or when it is Deno's NotCapable, one naming the net, read and
 * write flags for the Unix socket at `path` (`needs`: what the operation
 * takes, of which those not granted are named). Deno checks net access to
 * `unix:/abs/path` as well as the file permissions.
 */
export function unixAccess(
  error: unknown,
  path: string,
  needs: readonly UnixPermission[] = ["net", "read", "write"],
): unknown {
  if (!(error instanceof Deno.errors.NotCapable)) return error;
  const absolute = absolutePath(path);
  const descriptor = (name: UnixPermission): Deno.PermissionDescriptor =>
    name === "net" ? { name, host: `unix:${absolute}` } : { name, path: absolute };
  let missing = needs.filter((name) => !granted(descriptor(name)));
  if (missing.length === 0) missing = [...needs];
  return notCapable(
    missing.length > 1 ? `${missing.slice(0, -1).join(", ")} and ${missing.at(-1)}` : missing[0],
    path,
    missing.map((name) => allowFlag(name, name === "net" ? `unix:${absolute}` : absolute)),
    error,
    " (a Unix socket)",
  );
}

/** `error`, or when it is Deno's NotCapable, one naming `--allow-read=/abs/path`. */
export function readAccess(error: unknown, path: string | URL, note = ""): unknown {
  if (!(error instanceof Deno.errors.NotCapable)) return error;
  const shown = path instanceof URL ? absolutePath(path) : path;
  return notCapable("read", shown, [allowFlag("read", absolutePath(path))], error, note);
}

/** `error`, or when it is Deno's NotCapable, one naming `--allow-run=command`. */
export function runAccess(error: unknown, command: string, note = ""): unknown {
  if (!(error instanceof Deno.errors.NotCapable)) return error;
  return notCapable("run", command, [allowFlag("run", command)], error, note);
}

/** `error`, or when it is Deno's NotCapable, one naming the flag to send to `addr`. */
export function sendAccess(error: unknown, addr: Deno.Addr): unknown {
  if (!(error instanceof Deno.errors.NotCapable)) return error;
  if (addr.transport === "unix" || addr.transport === "unixpacket") {
    return unixAccess(error, (addr as Deno.UnixAddr).path, ["net", "write"]);
  }
  const { hostname, port } = addr as Deno.NetAddr;
  return netAccess(error, hostname, port);
}

/** `Deno.readTextFileSync`, with a missing permission naming `--allow-read=/abs/path`. */
export function readTextFileSync(path: string | URL): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    throw readAccess(error, path);
  }
}
