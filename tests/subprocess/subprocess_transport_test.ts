import {
  getRunningLoop,
  NotImplementedError,
  run,
  SubprocessTransport,
  type Transport,
} from "../../mod.ts";
import { DEVNULL, PIPE, STDOUT } from "../../subprocess/subprocess.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "../deps.ts";
import { randomBytes, sha256 } from "../_peers.ts";
import { encoder, SubprocessRecorder, tempDir, until, writeScript } from "./_helpers.ts";

function index(events: string[], event: string): number {
  const i = events.indexOf(event);
  assert(i !== -1, `${event} in ${events}`);
  return i;
}

Deno.test("subprocessExec: the protocol's callbacks come in asyncio's order", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "sh",
      "-c",
      "cat; echo err >&2",
    );
    assert(transport instanceof SubprocessTransport);
    assertEquals(protocol.events, ["made"]);
    assertStrictEquals(protocol.transport, transport);
    assertStrictEquals(transport.getReturncode(), null);
    const stdin = transport.getPipeTransport(0) as Transport;
    stdin.write(encoder.encode("through cat\n"));
    stdin.close();
    const lost = await protocol.lost;
    assertStrictEquals(lost, null);
    const events = protocol.events;
    assertEquals(events[0], "made");
    assertEquals(events.at(-1), "lost");
    assertEquals(events.filter((e) => e === "lost").length, 1);
    // connectionLost only after the process exited and every pipe closed.
    for (const e of ["pipe0", "pipe1", "pipe2", "exited"]) {
      assert(index(events, e) < events.length - 1);
    }
    assert(index(events, "data1") < index(events, "pipe1"));
    assert(index(events, "data2") < index(events, "pipe2"));
    assertEquals(protocol.text(1), "through cat\n");
    assertEquals(protocol.text(2), "err\n");
    assertEquals(transport.getReturncode(), 0);
    transport.close();
  });
});

Deno.test("subprocessExec: getPid, getPipeTransport and getExtraInfo", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "sh",
      "-c",
      "echo $$",
      { stdin: null, stdout: PIPE, stderr: DEVNULL },
    );
    assertStrictEquals(transport.getPipeTransport(0), null);
    assertStrictEquals(transport.getPipeTransport(2), null);
    assertStrictEquals(transport.getPipeTransport(3), null);
    const stdout = transport.getPipeTransport(1) as Transport;
    assert(stdout.isReading());
    const child = transport.getExtraInfo<Deno.ChildProcess>("subprocess")!;
    assertEquals(child.pid, transport.getPid());
    await protocol.lost;
    assertEquals(protocol.text(1), `${transport.getPid()}\n`);
    assert(String(transport).includes(`pid=${transport.getPid()} returncode=0`));
    transport.close();
    assert(transport.isClosing());
  });
});

Deno.test("subprocessExec: stdio defaults to PIPE, as Python's loop.subprocess_exec", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(() => new SubprocessRecorder(), "true");
    for (const fd of [0, 1, 2]) assert(transport.getPipeTransport(fd) !== null);
    await protocol.lost;
    transport.close();
  });
});

Deno.test("subprocessExec: stdin closes when an idle child exits (asyncio sees the pipe close)", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "true",
      { stdin: PIPE, stdout: null, stderr: null },
    );
    assertStrictEquals(await protocol.lost, null);
    assertEquals(protocol.events, ["made", "exited", "pipe0", "lost"]);
    assertStrictEquals(protocol.pipeErrors.get(0), null);
    transport.close();
  });
});

Deno.test("subprocessExec: writeEof on stdin ends that pipe", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "cat",
      { stdin: PIPE, stdout: PIPE, stderr: null },
    );
    const stdin = transport.getPipeTransport(0) as Transport;
    assert(stdin.canWriteEof());
    stdin.write(encoder.encode("eof next"));
    stdin.writeEof();
    await protocol.lost;
    assertEquals(protocol.text(1), "eof next");
    assert(index(protocol.events, "pipe0") < index(protocol.events, "lost"));
    transport.close();
  });
});

Deno.test("subprocessExec: a signal's returncode is minus its number", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const cases: [(t: SubprocessTransport) => void, number][] = [
      [(t) => Deno.kill(t.getPid(), "SIGTERM"), -15],
      [(t) => t.terminate(), -15],
      [(t) => t.kill(), -9],
      [(t) => t.sendSignal("SIGUSR1"), -10],
    ];
    for (const [send, expected] of cases) {
      const [transport, protocol] = await loop.subprocessExec(
        () => new SubprocessRecorder(),
        "sleep",
        "30",
        { stdin: null, stdout: null, stderr: null },
      );
      send(transport);
      await protocol.lost;
      assertEquals(transport.getReturncode(), expected);
      // The process is gone: Python's ProcessLookupError (ESRCH) is NotFound.
      assertThrows(() => transport.kill(), Deno.errors.NotFound);
      transport.close();
    }
  });
});

Deno.test("subprocessExec: sendSignal checks the name; signalling an exited child is a no-op", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const calls: string[] = [];
    class SignalOnExit extends SubprocessRecorder {
      override processExited(): void {
        super.processExited();
        // Exited, not yet finished: Popen.send_signal() does nothing.
        this.transport.terminate();
        this.transport.kill();
        this.transport.sendSignal("SIGUSR1");
        calls.push("signalled");
      }
    }
    const [transport, protocol] = await loop.subprocessExec(
      () => new SignalOnExit(),
      "true",
      { stdin: null, stdout: null, stderr: null },
    );
    assertThrows(() => transport.sendSignal("SIGNOPE" as Deno.Signal), RangeError);
    await protocol.lost;
    assertEquals(calls, ["signalled"]);
    assertEquals(transport.getReturncode(), 0);
    transport.close();
  });
});

Deno.test("subprocessExec: close() kills a running child and closes its pipes", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "sleep",
      "30",
    );
    transport.close();
    assert(transport.isClosing());
    await protocol.lost;
    assertEquals(transport.getReturncode(), -9);
    assertEquals(protocol.events.at(-1), "lost");
    transport.close();
  });
});

Deno.test("subprocessExec: `using` closes the transport", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    let protocol: SubprocessRecorder;
    {
      using transport = (await loop.subprocessExec(
        () => protocol = new SubprocessRecorder(),
        "sleep",
        "30",
      ))[0];
      assert(!transport.isClosing());
    }
    await protocol!.lost;
  });
});

Deno.test("subprocessExec: stderr STDOUT merges both streams into one pipe, in order", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "sh",
      "-c",
      "echo a; echo b >&2; echo c; echo $$ >&2",
      { stdin: null, stdout: PIPE, stderr: STDOUT },
    );
    assertStrictEquals(transport.getPipeTransport(2), null);
    await protocol.lost;
    // The wrapper execs the program: same pid, nothing on fd 2.
    assertEquals(protocol.text(1), `a\nb\nc\n${transport.getPid()}\n`);
    assert(!protocol.chunks.has(2));
    transport.close();
  });
});

Deno.test("subprocessExec: with STDOUT the program gets the same argv as without", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const argvs: string[] = [];
    for (const stderr of [PIPE, STDOUT]) {
      const [transport, protocol] = await loop.subprocessExec(
        () => new SubprocessRecorder(),
        "cat",
        "/proc/self/cmdline",
        { stdin: null, stdout: PIPE, stderr },
      );
      await protocol.lost;
      argvs.push(protocol.text(1));
      transport.close();
    }
    assertEquals(argvs[0], argvs[1]);
    assert(argvs[0].endsWith("\0/proc/self/cmdline\0"));
  });
});

Deno.test("subprocessExec: stderr STDOUT with stdout DEVNULL drops both", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "sh",
      "-c",
      "echo out; echo err >&2",
      { stdin: null, stdout: DEVNULL, stderr: STDOUT },
    );
    await protocol.lost;
    assertEquals(protocol.events, ["made", "exited", "lost"]);
    transport.close();
  });
});

Deno.test("subprocessExec: a missing program is NotFound whatever the stdio", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    using dir = tempDir();
    const variants = [
      {},
      { stdout: PIPE, stderr: STDOUT },
      { stdout: null, stderr: STDOUT },
      { stdin: DEVNULL, stdout: DEVNULL, stderr: DEVNULL },
    ];
    for (const program of ["no-such-program-here", `${dir.path}/missing`, "./missing"]) {
      for (const options of variants) {
        await assertRejects(
          () =>
            loop.subprocessExec(() => new SubprocessRecorder(), program, {
              ...options,
              cwd: dir.path,
            }),
          Deno.errors.NotFound,
        );
      }
    }
  });
});

Deno.test("subprocessExec: a file that cannot run is PermissionDenied whatever the stdio", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    using dir = tempDir();
    Deno.writeTextFileSync(`${dir.path}/plain`, "echo never\n");
    for (const program of [`${dir.path}/plain`, dir.path]) {
      for (const stderr of [PIPE, STDOUT]) {
        await assertRejects(
          () =>
            loop.subprocessExec(() => new SubprocessRecorder(), program, { stdout: PIPE, stderr }),
          Deno.errors.PermissionDenied,
        );
      }
    }
  });
});

Deno.test("subprocessExec: a relative program runs from cwd; PATH comes from env", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    using dir = tempDir();
    writeScript(`${dir.path}/hello.sh`, 'echo "hello from $(pwd)"');
    for (const stderr of [PIPE, STDOUT]) {
      const [transport, protocol] = await loop.subprocessExec(
        () => new SubprocessRecorder(),
        "./hello.sh",
        { stdin: null, stdout: PIPE, stderr, cwd: dir.path },
      );
      await protocol.lost;
      assertEquals(protocol.text(1), `hello from ${Deno.realPathSync(dir.path)}\n`);
      transport.close();
      const [transport2, protocol2] = await loop.subprocessExec(
        () => new SubprocessRecorder(),
        "hello.sh",
        { stdin: null, stdout: PIPE, stderr, env: { PATH: `${dir.path}:/usr/bin:/bin` } },
      );
      await protocol2.lost;
      assertEquals(protocol2.text(1), `hello from ${Deno.cwd()}\n`);
      transport2.close();
    }
  });
});

Deno.test("subprocessExec: env replaces the whole environment, as in Python", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    for (const stderr of [PIPE, STDOUT]) {
      const [transport, protocol] = await loop.subprocessExec(
        () => new SubprocessRecorder(),
        "/usr/bin/env",
        { stdin: null, stdout: PIPE, stderr, env: { ONLY: "this one" } },
      );
      await protocol.lost;
      assertEquals(protocol.text(1), "ONLY=this one\n");
      transport.close();
    }
  });
});

Deno.test("subprocessShell: runs /bin/sh -c; a missing command is its exit status", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessShell(
      () => new SubprocessRecorder(),
      "echo $0 && no-such-command-zz",
      { stdin: DEVNULL, stdout: PIPE, stderr: PIPE },
    );
    await protocol.lost;
    assertEquals(protocol.text(1), "/bin/sh\n");
    assert(protocol.text(2).includes("no-such-command-zz"));
    assertEquals(transport.getReturncode(), 127);
    transport.close();
    const [transport2, protocol2] = await loop.subprocessShell(
      () => new SubprocessRecorder(),
      "echo out; echo err >&2; echo $$",
      { stdin: DEVNULL, stdout: PIPE, stderr: STDOUT },
    );
    await protocol2.lost;
    assertEquals(protocol2.text(1), `out\nerr\n${transport2.getPid()}\n`);
    transport2.close();
  });
});

Deno.test("subprocessExec: the options asyncio rejects", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const factory = () => new SubprocessRecorder();
    const bad: [Record<string, unknown>, ErrorConstructor | typeof NotImplementedError][] = [
      [{ bufsize: 1 }, RangeError],
      [{ bufsize: -1 }, RangeError],
      [{ universalNewlines: true }, RangeError],
      [{ text: true }, RangeError],
      [{ encoding: "utf-8" }, RangeError],
      [{ errors: "strict" }, RangeError],
      [{ shell: true }, RangeError],
      [{ stdin: STDOUT }, RangeError],
      [{ stdout: STDOUT }, RangeError],
      [{ stdout: 5 }, NotImplementedError],
      [{ stdout: "piped" }, TypeError],
      [{ preexecFn: () => {} }, NotImplementedError],
      [{ startNewSession: true }, NotImplementedError],
      [{ closeFds: false }, NotImplementedError],
      [{ noSuchOption: 1 }, TypeError],
      [{ env: { A: 1 } }, TypeError],
    ];
    for (const [options, error] of bad) {
      await assertRejects(
        () => loop.subprocessExec(factory, "true", options as never),
        error,
        JSON.stringify(options),
      );
    }
    await assertRejects(() => loop.subprocessShell(factory, "true", { shell: false }), RangeError);
    await assertRejects(() => loop.subprocessShell(factory, 42 as never), TypeError);
    await assertRejects(() => loop.subprocessExec(factory, "echo", 1 as never), TypeError);
    await assertRejects(() => loop.subprocessExec("nope" as never, "true"), TypeError);
    // What Python accepts as no-ops.
    const [transport, protocol] = await loop.subprocessExec(factory, "true", {
      bufsize: 0,
      shell: false,
      closeFds: true,
      startNewSession: false,
      stdin: null,
      stdout: null,
      stderr: null,
    } as never);
    await protocol.lost;
    transport.close();
  });
});

Deno.test("subprocessExec: a Deno.FsFile as stdin and stdout is pumped, and stays open", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    using dir = tempDir();
    const data = randomBytes(3 * 1024 * 1024 + 17);
    Deno.writeFileSync(`${dir.path}/in`, data);
    using input = Deno.openSync(`${dir.path}/in`);
    using output = Deno.openSync(`${dir.path}/out`, { write: true, create: true });
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "cat",
      { stdin: input, stdout: output, stderr: output },
    );
    for (const fd of [0, 1, 2]) assertStrictEquals(transport.getPipeTransport(fd), null);
    await protocol.lost;
    assertEquals(protocol.events, ["made", "exited", "lost"]);
    // When the transport is done, the child's output is in the file.
    assertEquals(await sha256(Deno.readFileSync(`${dir.path}/out`)), await sha256(data));
    // The files are the caller's: still open.
    output.writeSync(encoder.encode("!"));
    assertEquals(Deno.statSync(`${dir.path}/out`).size, data.length + 1);
    transport.close();
  });
});

Deno.test("subprocessExec: stderr STDOUT into a file", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    using dir = tempDir();
    using output = Deno.openSync(`${dir.path}/log`, { write: true, create: true });
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "sh",
      "-c",
      "echo one; echo two >&2",
      { stdin: null, stdout: output, stderr: STDOUT },
    );
    await protocol.lost;
    assertEquals(Deno.readTextFileSync(`${dir.path}/log`), "one\ntwo\n");
    transport.close();
  });
});

Deno.test("subprocessExec: the stdin pipe's flow control reaches the protocol", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "cat",
      { stdin: PIPE, stdout: DEVNULL, stderr: null },
    );
    const stdin = transport.getPipeTransport(0) as Transport;
    stdin.write(randomBytes(1024 * 1024));
    assertEquals(protocol.events, ["made", "pause"]);
    await protocol.resumed;
    stdin.close();
    await protocol.lost;
    transport.close();
  });
});

Deno.test("subprocessExec: cancelled while connecting, the child is killed and reaped", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    let protocol: SubprocessRecorder | null = null;
    const task = loop.createTask(() =>
      loop.subprocessExec(() => protocol = new SubprocessRecorder(), "sleep", "30")
    );
    await until(() => protocol !== null);
    task.cancel();
    await assertRejects(() => task as unknown as Promise<unknown>, Error);
    assert(task.cancelled());
    const recorder = protocol! as SubprocessRecorder;
    await recorder.lost;
    assertEquals(recorder.transport.getReturncode(), -9);
  });
});

Deno.test("subprocessExec: stdout and stderr data arrive as sent, big and concurrent", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "sh",
      "-c",
      "head -c 2000000 /dev/zero; head -c 1000000 /dev/zero >&2",
      { stdin: null },
    );
    await protocol.lost;
    assertEquals(protocol.text(1).length, 2_000_000);
    assertEquals(protocol.text(2).length, 1_000_000);
    transport.close();
  });
});

Deno.test("subprocessExec/Shell: executable replaces the program or the shell", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "not-looked-up",
      "-c",
      "echo via executable",
      { stdin: null, stdout: PIPE, stderr: PIPE, executable: "/bin/sh" },
    );
    await protocol.lost;
    assertEquals(protocol.text(1), "via executable\n");
    transport.close();
    const [transport2, protocol2] = await loop.subprocessShell(
      () => new SubprocessRecorder(),
      'echo "$BASH_VERSION" | cut -c1',
      { stdin: null, stdout: PIPE, stderr: PIPE, executable: "/bin/bash" },
    );
    await protocol2.lost;
    assert(/^\d\n$/.test(protocol2.text(1)), protocol2.text(1));
    transport2.close();
  });
});

Deno.test("subprocessExec: user and group are the child's uid and gid", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessShell(
      () => new SubprocessRecorder(),
      "echo $(id -u) $(id -g)",
      { stdin: null, stdout: PIPE, stderr: PIPE, user: Deno.uid()!, group: Deno.gid()! },
    );
    await protocol.lost;
    assertEquals(protocol.text(1), `${Deno.uid()} ${Deno.gid()}\n`);
    transport.close();
    await assertRejects(
      () => loop.subprocessExec(() => new SubprocessRecorder(), "true", { user: "root" as never }),
      NotImplementedError,
    );
  });
});
