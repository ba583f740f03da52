import {
  CancelledError,
  createTask,
  gather,
  getRunningLoop,
  run,
  StreamReader,
  StreamWriter,
} from "../../mod.ts";
import {
  createSubprocessExec,
  createSubprocessShell,
  DEVNULL,
  PIPE,
  Process,
  STDOUT,
  SubprocessStreamProtocol,
} from "../../subprocess/subprocess.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals } from "../deps.ts";
import { randomBytes, sha256 } from "../_peers.ts";
import { decoder, encoder, tempDir, until } from "./_helpers.ts";

Deno.test("Process: the seed's get_date, with python3", async () => {
  const date = await run(async () => {
    const code = "import datetime; print(datetime.datetime.now())";
    const proc = await createSubprocessExec("python3", "-c", code, { stdout: PIPE });
    const data = await proc.stdout!.readline();
    const line = decoder.decode(data).trimEnd();
    assertEquals(await proc.wait(), 0);
    return line;
  });
  assert(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(date), date);
});

Deno.test("Process: stdio is inherited unless asked for, as in Python", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("true");
    assertStrictEquals(proc.stdin, null);
    assertStrictEquals(proc.stdout, null);
    assertStrictEquals(proc.stderr, null);
    assertEquals(await proc.communicate(), [null, null]);
    assertEquals(proc.returncode, 0);
  });
});

Deno.test("Process: pid, returncode null while running, then the exit code", async () => {
  await run(async () => {
    const proc = await createSubprocessShell("read line; exit 7", { stdin: PIPE });
    assert(proc.pid > 0);
    assertEquals(String(proc), `<Process ${proc.pid}>`);
    assertStrictEquals(proc.returncode, null);
    assert(proc.stdin instanceof StreamWriter);
    proc.stdin.write(encoder.encode("go\n"));
    await proc.stdin.drain();
    assertEquals(await proc.wait(), 7);
    assertEquals(proc.returncode, 7);
    // wait() again, and from several tasks, gives the same code.
    assertEquals(await gather(() => proc.wait(), () => proc.wait()), [7, 7]);
  });
});

Deno.test("Process: several waiters all get the code", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("sh", "-c", "exit 3", { stdout: PIPE });
    const waiters = [1, 2, 3].map(() => createTask(() => proc.wait()));
    assertEquals(await gather(...waiters), [3, 3, 3]);
  });
});

Deno.test("Process: communicate sends 100 MiB through cat and reads it back", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE, stderr: PIPE });
    const data = randomBytes(100 * 1024 * 1024);
    const [stdout, stderr] = await proc.communicate(data);
    assertEquals(stdout!.length, data.length);
    assertEquals(await sha256(stdout!), await sha256(data));
    assertEquals(stderr!.length, 0);
    assertEquals(proc.returncode, 0);
  });
});

Deno.test("Process: communicate reads stdout and stderr at the same time", async () => {
  await run(async () => {
    // Each stream gets more than a pipe holds: reading one after the other would deadlock.
    const proc = await createSubprocessShell(
      "head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2; head -c 300000 /dev/zero",
      { stdout: PIPE, stderr: PIPE },
    );
    const [stdout, stderr] = await proc.communicate();
    assertEquals([stdout!.length, stderr!.length], [600000, 300000]);
  });
});

Deno.test("Process: stderr STDOUT gives one stream, in order", async () => {
  await run(async () => {
    const proc = await createSubprocessShell("echo 1; echo 2 >&2; echo 3", {
      stdout: PIPE,
      stderr: STDOUT,
    });
    assertStrictEquals(proc.stderr, null);
    const [stdout, stderr] = await proc.communicate();
    assertEquals(decoder.decode(stdout!), "1\n2\n3\n");
    assertStrictEquals(stderr, null);
  });
});

Deno.test("Process: readers honour limit; for await yields lines", async () => {
  await run(async () => {
    const proc = await createSubprocessShell("printf 'short\\nmuch too long a line\\nend\\n'", {
      stdout: PIPE,
      limit: 8,
    });
    assert(proc.stdout instanceof StreamReader);
    assertEquals(proc.stdout.limit, 8);
    assertEquals(decoder.decode(await proc.stdout.readline()), "short\n");
    await assertRejects(() => proc.stdout!.readline(), RangeError);
    const rest: string[] = [];
    for await (const line of proc.stdout) rest.push(decoder.decode(line));
    assertEquals(rest, ["end\n"]);
    assertEquals(await proc.wait(), 0);
  });
});

Deno.test("Process: stdin write, drain, writeEof and close by hand", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
    assert(proc.stdin!.canWriteEof());
    proc.stdin!.write(encoder.encode("by hand"));
    await proc.stdin!.drain();
    proc.stdin!.writeEof();
    assertEquals(decoder.decode(await proc.stdout!.read()), "by hand");
    assertEquals(await proc.wait(), 0);
    await proc.stdin!.waitClosed();

    const proc2 = await createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
    proc2.stdin!.write(encoder.encode("closed"));
    proc2.stdin!.close();
    await proc2.stdin!.waitClosed();
    assertEquals(decoder.decode(await proc2.stdout!.read()), "closed");
    assertEquals(await proc2.wait(), 0);
  });
});

Deno.test("Process: terminate, kill, sendSignal and Deno.kill give minus the signal", async () => {
  await run(async () => {
    const cases: [(p: Process) => void, number][] = [
      [(p) => p.terminate(), -15],
      [(p) => p.kill(), -9],
      [(p) => p.sendSignal("SIGUSR1"), -10],
      [(p) => p.sendSignal("SIGINT"), -2],
      [(p) => Deno.kill(p.pid, "SIGTERM"), -15],
    ];
    for (const [send, code] of cases) {
      const proc = await createSubprocessExec("sleep", "30", { stdout: PIPE });
      send(proc);
      assertEquals(await proc.wait(), code);
      assertEquals(proc.returncode, code);
    }
  });
});

Deno.test("Process: the shell's pid; env and cwd", async () => {
  await run(async () => {
    using dir = tempDir();
    const proc = await createSubprocessShell('echo "$$ $ONLY $(pwd)"; env | grep -c . ', {
      stdout: PIPE,
      env: { ONLY: "me" },
      cwd: dir.path,
    });
    const [stdout] = await proc.communicate();
    const [first, count] = decoder.decode(stdout!).split("\n");
    assertEquals(first, `${proc.pid} me ${Deno.realPathSync(dir.path)}`);
    // ONLY and what sh sets itself (PWD): nothing of the parent's.
    assert(Number(count) <= 3, count);
  });
});

Deno.test("Process: communicate with input needs stdin PIPE, and bytes", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("true", { stdout: DEVNULL });
    await assertRejects(() => proc.communicate(encoder.encode("x")), TypeError);
    await proc.wait();
    const proc2 = await createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
    await assertRejects(() => proc2.communicate("text" as never), TypeError);
    assertEquals(await proc2.communicate(new Uint8Array()), [new Uint8Array(), null]);
  });
});

Deno.test("Process: a missing program rejects with NotFound", async () => {
  await run(async () => {
    for (const stderr of [undefined, PIPE, STDOUT]) {
      await assertRejects(
        () => createSubprocessExec("no-such-program-zz", { stdout: PIPE, stderr }),
        Deno.errors.NotFound,
      );
    }
  });
});

Deno.test("Process: built by hand from loop.subprocessExec and SubprocessStreamProtocol", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessStreamProtocol(1024, loop),
      "echo",
      "hand made",
    );
    assert(String(protocol).includes("stdout="));
    const proc = new Process(transport, protocol, loop);
    const [stdout, stderr] = await proc.communicate();
    assertEquals(decoder.decode(stdout!), "hand made\n");
    assertEquals(stderr!.length, 0);
    assert(transport.isClosing());
  });
});

Deno.test("Process: a file as stdout is complete once wait() returns", async () => {
  await run(async () => {
    using dir = tempDir();
    using file = Deno.openSync(`${dir.path}/out`, { write: true, create: true });
    const proc = await createSubprocessExec("head", "-c", "5000000", "/dev/zero", { stdout: file });
    assertStrictEquals(proc.stdout, null);
    assertEquals(await proc.wait(), 0);
    assertEquals(Deno.statSync(`${dir.path}/out`).size, 5_000_000);
  });
});

const NO_RUN_FIXTURE = new URL("./_fixtures/no_run_permission.ts", import.meta.url).pathname;

async function runFixture(...flags: string[]): Promise<unknown[]> {
  const proc = await createSubprocessExec(
    Deno.execPath(),
    "run",
    "--quiet",
    "--no-prompt",
    ...flags,
    NO_RUN_FIXTURE,
    { stdout: PIPE, stderr: PIPE },
  );
  const [stdout, stderr] = await proc.communicate();
  assertEquals(proc.returncode, 0, decoder.decode(stderr!));
  return JSON.parse(decoder.decode(stdout!));
}

Deno.test("Process: without --allow-run, NotCapable names the flag", async () => {
  await run(async () => {
    const [plain, merged] = await runFixture() as { notCapable: boolean; message: string }[];
    for (const result of [plain, merged]) {
      assert(result.notCapable, JSON.stringify(result));
      assert(result.message.includes("--allow-run"), result.message);
      assert(result.message.includes('"true"'), result.message);
    }
  });
});

Deno.test("Process: stderr STDOUT needs /bin/sh too, and never widens --allow-run", async () => {
  await run(async () => {
    const [plain, merged] = await runFixture("--allow-run=true") as [
      string,
      { notCapable: boolean; message: string },
    ];
    assertEquals(plain, "ran");
    assert(merged.notCapable && merged.message.includes("/bin/sh"), merged.message);
    // /bin/sh allowed, the program not: still refused.
    const [plain2, merged2] = await runFixture("--allow-run=/bin/sh", "--allow-read") as {
      notCapable: boolean;
      message: string;
    }[];
    for (const result of [plain2, merged2]) {
      assert(result.notCapable && result.message.includes('"true"'), result.message);
    }
    assertEquals(await runFixture("--allow-run=true,/bin/sh", "--allow-read"), ["ran", "ran"]);
  });
});

Deno.test("Process: communicate after a partial read returns the rest", async () => {
  await run(async () => {
    const proc = await createSubprocessShell("printf 'head\\n'; read x; printf 'rest of it'", {
      stdin: PIPE,
      stdout: PIPE,
    });
    assertEquals(decoder.decode(await proc.stdout!.readline()), "head\n");
    const [stdout, stderr] = await proc.communicate(encoder.encode("go\n"));
    assertEquals(decoder.decode(stdout!), "rest of it");
    assertStrictEquals(stderr, null);
    assert(proc.stdout!.atEof());
    assertEquals((await proc.stdout!.read()).length, 0);
  });
});

Deno.test("Process: after a cancelled communicate, stdout goes on", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
    const communicating = createTask(() => proc.communicate());
    await until(() => true);
    communicating.cancel();
    await assertRejects(() => communicating as unknown as Promise<unknown>, CancelledError);
    proc.stdin!.write(encoder.encode("still here\n"));
    proc.stdin!.close();
    assertEquals(decoder.decode(await proc.stdout!.read()), "still here\n");
    assertEquals(await proc.wait(), 0);
  });
});

Deno.test("Process: communicate keeps the pipe's error, as read() would", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessStreamProtocol(2 ** 16, loop),
      "cat",
      { stdin: PIPE, stdout: PIPE, stderr: null },
    );
    const proc = new Process(transport, protocol, loop);
    const communicating = createTask(() => proc.communicate());
    await until(() => true);
    const failure = new Deno.errors.ConnectionReset("pipe broke");
    protocol.pipeConnectionLost(1, failure);
    await assertRejects(
      () => communicating as unknown as Promise<unknown>,
      Deno.errors.ConnectionReset,
    );
    proc.kill();
    await proc.wait();
  });
});
