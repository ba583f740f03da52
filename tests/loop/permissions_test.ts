// Every API that needs a Deno permission rejects, when it is missing, with
// Deno's NotCapable naming the flag to add. Each API family runs in a
// `deno run --no-prompt` child with permissions missing (the fixtures in
// _fixtures/permissions_*.ts), all children at once.
import { assert, assertEquals } from "../deps.ts";
import type { Outcome } from "./_fixtures/permissions_report.ts";

const decoder = new TextDecoder();
const fixture = (name: string) =>
  new URL(`./_fixtures/permissions_${name}.ts`, import.meta.url).pathname;
const loopDir = new URL("../../loop", import.meta.url).pathname;

interface Child {
  fixture: string;
  flags?: string[];
  args?: string[];
  cwd?: string;
}

async function runChild(child: Child): Promise<Record<string, Outcome>> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--no-config",
      "--quiet",
      ...(child.flags ?? []),
      fixture(child.fixture),
      ...(child.args ?? []),
    ],
    cwd: child.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = decoder.decode(output.stdout);
  const what = `${child.fixture} ${(child.flags ?? []).join(" ")}`;
  assertEquals(output.code, 0, `${what}: ${decoder.decode(output.stderr)}`);
  const outcomes = JSON.parse(stdout) as Outcome[];
  return Object.fromEntries(outcomes.map((o) => [o.label, o]));
}

/** Asserts a NotCapable with exactly `message`, Deno's own error (or `cause`) as its cause. */
function assertNotCapable(outcome: Outcome, message: string, cause: string | null = "NotCapable") {
  const text = JSON.stringify(outcome);
  assert(outcome.notCapable, text);
  assertEquals(outcome.name, "NotCapable", text);
  assertEquals(outcome.message, message, text);
  assertEquals(outcome.cause, cause, text);
  if (cause === "NotCapable") assert(outcome.causeIsDenos, text);
}

Deno.test("a missing permission rejects with NotCapable naming the flag to add", async (t) => {
  const dir = Deno.realPathSync(await Deno.makeTempDir({ prefix: "asyncio-permissions-" }));
  try {
    const sock = `${dir}/s.sock`;
    const dgram = `${dir}/d.sock`;
    const children = {
      connection: { fixture: "connection" },
      connectionByName: { fixture: "connection", flags: ["--allow-net=localhost"] },
      server: { fixture: "server" },
      unix: { fixture: "unix", args: [sock] },
      unixReadOnly: { fixture: "unix", args: [sock], flags: [`--allow-read=${dir}`] },
      unixFilesOnly: {
        fixture: "unix",
        args: [sock],
        flags: [`--allow-read=${dir}`, `--allow-write=${dir}`],
      },
      datagram: { fixture: "datagram", args: [dgram], flags: ["--unstable-net"] },
      datagramBound: {
        fixture: "datagram",
        args: [dgram],
        flags: ["--unstable-net", "--allow-net=127.0.0.1:0"],
      },
      datagramUnstable: { fixture: "datagram", args: [dgram] },
      subprocess: { fixture: "subprocess" },
      tls: { fixture: "tls", cwd: dir },
      dns: { fixture: "dns" },
      executor: { fixture: "executor" },
      executorModule: { fixture: "executor", flags: [`--allow-read=${loopDir}`] },
    } satisfies Record<string, Child>;
    const names = Object.keys(children) as (keyof typeof children)[];
    const results = await Promise.all(names.map((name) => runChild(children[name])));
    const r = Object.fromEntries(names.map((name, i) => [name, results[i]])) as Record<
      keyof typeof children,
      Record<string, Outcome>
    >;

    await t.step("createConnection, openConnection, sockConnect: --allow-net=host:port", () => {
      const c = r.connection;
      const local = 'Requires net access to "127.0.0.1:8888": run again with ' +
        "--allow-net=127.0.0.1:8888";
      assertNotCapable(c.openConnection, local);
      assertNotCapable(c.sockConnect, local);
      assertNotCapable(
        c.createConnectionIPv6,
        `Requires net access to "[::1]:8888": run again with --allow-net='[::1]:8888'`,
      );
      // A name is resolved first, which needs the name...
      assertNotCapable(
        c.openConnectionByName,
        'Requires net access to "localhost" to resolve it: run again with --allow-net=localhost',
        "Error",
      );
      // ...and then the address it resolved to.
      const byName = r.connectionByName.openConnectionByName;
      assert(byName.notCapable, JSON.stringify(byName));
      assert(
        /^Requires net access to "(127\.0\.0\.1|\[::1\]):8888"( \(or to .*\))?: run again with --allow-net=('\[::1\]:8888'|127\.0\.0\.1:8888)$/
          .test(byName.message),
        byName.message,
      );
    });

    await t.step("createServer, startServer, Socket.bind: --allow-net=host:port", () => {
      const s = r.server;
      const local = 'Requires net access to "127.0.0.1:8888": run again with ' +
        "--allow-net=127.0.0.1:8888";
      assertNotCapable(s.startServer, local);
      assertNotCapable(s.socketBind, local);
      assertNotCapable(
        s.createServerPort0,
        'Requires net access to "127.0.0.1:0": run again with --allow-net=127.0.0.1:0',
      );
      assertNotCapable(
        s.createServerAllInterfaces,
        'Requires net access to "[::]:8888" (all interfaces): run again with ' +
          "--allow-net='[::]:8888' (or --allow-net=0.0.0.0:8888 for IPv4 only)",
      );
    });

    await t.step("Unix servers and connections: net to unix:path, read and write", () => {
      const all = `Requires net, read and write access to "${sock}" (a Unix socket): run again ` +
        `with --allow-net=unix:${sock} --allow-read=${sock} --allow-write=${sock}`;
      const netAndWrite = `Requires net and write access to "${sock}" (a Unix socket): run ` +
        `again with --allow-net=unix:${sock} --allow-write=${sock}`;
      const netOnly = `Requires net access to "${sock}" (a Unix socket): run again with ` +
        `--allow-net=unix:${sock}`;
      for (const label of ["startUnixServer", "openUnixConnection", "createUnixConnection"]) {
        assertNotCapable(r.unix[label], all);
        assertNotCapable(r.unixReadOnly[label], netAndWrite);
        assertNotCapable(r.unixFilesOnly[label], netOnly);
      }
    });

    await t.step("createDatagramEndpoint: --allow-net, paths, sends, --unstable-net", () => {
      const d = r.datagram;
      assertNotCapable(
        d.udp,
        'Requires net access to "127.0.0.1:9999": run again with --allow-net=127.0.0.1:9999',
      );
      assertNotCapable(
        d.unix,
        `Requires net, read and write access to "${dgram}" (a Unix socket): run again with ` +
          `--allow-net=unix:${dgram} --allow-read=${dgram} --allow-write=${dgram}`,
      );
      assertNotCapable(
        d.sendto,
        'Requires net access to "127.0.0.1:0": run again with --allow-net=127.0.0.1:0',
      );
      // Bound where allowed: the send to elsewhere reaches errorReceived.
      assertNotCapable(
        r.datagramBound.sendto,
        'Requires net access to "127.0.0.1:9": run again with --allow-net=127.0.0.1:9',
      );
      // Without --unstable-net Deno has no datagram sockets at all.
      for (const outcome of Object.values(r.datagramUnstable)) {
        assertEquals(outcome.name, "NotCapable", JSON.stringify(outcome));
        assert(outcome.message.includes("--unstable-net"), outcome.message);
        assert(outcome.message.includes('"unstable": ["net"]'), outcome.message);
      }
    });

    await t.step("subprocesses: --allow-run=program", () => {
      const p = r.subprocess;
      const exec = 'Requires run access to "true": run again with --allow-run=true';
      assertNotCapable(p.createSubprocessExec, exec);
      assertNotCapable(p.subprocessExec, exec);
      assertNotCapable(
        p.createSubprocessShell,
        'Requires run access to "/bin/sh": run again with --allow-run=/bin/sh',
      );
      assertNotCapable(
        p.stderrToStdout,
        'Requires run access to "true" (stderr: STDOUT runs it through /bin/sh): run again ' +
          "with --allow-run=true,/bin/sh",
        null,
      );
    });

    await t.step("SSLContext certificate files: --allow-read=/absolute/path", () => {
      assertNotCapable(
        r.tls.loadCertChainRelative,
        `Requires read access to "certs/server.pem": run again with ` +
          `--allow-read=${dir}/certs/server.pem`,
      );
      assertNotCapable(
        r.tls.loadVerifyLocations,
        'Requires read access to "/etc/ssl/ca.pem": run again with --allow-read=/etc/ssl/ca.pem',
      );
    });

    await t.step("getaddrinfo, getnameinfo: --allow-net=host", () => {
      assertNotCapable(
        r.dns.getaddrinfo,
        'Requires net access to "localhost" to resolve it: run again with --allow-net=localhost',
        "Error",
      );
      assertNotCapable(
        r.dns.getnameinfo,
        'Requires net access to "127.0.0.1:22" to resolve it: run again with ' +
          "--allow-net=127.0.0.1:22",
        "Error",
      );
    });

    await t.step("executors: --allow-run for processes, --allow-read for Workers", () => {
      const deno = Deno.execPath();
      assertNotCapable(
        r.executor.processPool,
        `Requires run access to "${deno}" (ProcessPoolExecutor runs its workers as deno ` +
          `processes): run again with --allow-run=${deno}`,
      );
      const worker = `Requires read access to "${loopDir}/_worker_thread.ts" (Workers start ` +
        `from this library's own files): run again with --allow-read=${loopDir}`;
      assertNotCapable(r.executor.toThread, worker, null);
      assertNotCapable(r.executor.moduleFunction, worker, null);
      // With the library readable, threads run; a module function needs its module.
      assertEquals(r.executorModule.toThread.name, "ok");
      const module = new URL("./_executor_module.ts", import.meta.url).pathname;
      assertNotCapable(
        r.executorModule.moduleFunction,
        `Requires read access to "${module}" (the module of an executor function): run again ` +
          `with --allow-read=${module}`,
        "TypeError",
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
