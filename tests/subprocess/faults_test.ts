// Faults around subprocesses, each under Deno's sanitizers: every child is
// reaped and every pipe closed by the end of each test.
import { CancelledError, createTask, getRunningLoop, run, type Transport } from "../../mod.ts";
import { createSubprocessExec, createSubprocessShell, PIPE } from "../../subprocess/subprocess.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals } from "../deps.ts";
import { randomBytes } from "../_peers.ts";
import { decoder, encoder, SubprocessRecorder, until } from "./_helpers.ts";

Deno.test("faults: a child that kills itself mid-communicate", async () => {
  await run(async () => {
    // It echoes 64 KiB of its input, then SIGKILLs itself with input unread.
    const proc = await createSubprocessShell("head -c 65536; kill -9 $$", {
      stdin: PIPE,
      stdout: PIPE,
      stderr: PIPE,
    });
    const input = randomBytes(16 * 1024 * 1024);
    const [stdout, stderr] = await proc.communicate(input);
    assertEquals(stdout, input.subarray(0, 65536));
    assertEquals(stderr!.length, 0);
    assertEquals(proc.returncode, -9);
  });
});

Deno.test("faults: a child killed by the parent while communicate() is writing", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("sleep", "30", { stdin: PIPE, stdout: PIPE });
    const communicating = createTask(() => proc.communicate(randomBytes(4 * 1024 * 1024)));
    // The pipe is full (sleep never reads): the write is in flight.
    const stdin = proc.stdin!.transport as Transport;
    await until(() => stdin.getWriteBufferSize() > 0);
    proc.kill();
    // BrokenPipe on the write is swallowed, as in asyncio.
    const [stdout, stderr] = await communicating;
    assertEquals(stdout!.length, 0);
    assertStrictEquals(stderr, null);
    assertEquals(proc.returncode, -9);
  });
});

Deno.test("faults: a child that closes stdout early and goes on reading", async () => {
  await run(async () => {
    const proc = await createSubprocessShell("exec >&-; cat >/dev/null; echo done >&2", {
      stdin: PIPE,
      stdout: PIPE,
      stderr: PIPE,
    });
    const [stdout, stderr] = await proc.communicate(randomBytes(1024 * 1024));
    assertEquals(stdout!.length, 0);
    // stdout ended at once; the input was all read; stderr still works.
    assertEquals(decoder.decode(stderr!), "done\n");
    assertEquals(proc.returncode, 0);
  });
});

Deno.test("faults: head exits after 10 bytes of a 16 MiB input", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("head", "-c", "10", { stdin: PIPE, stdout: PIPE });
    const input = randomBytes(16 * 1024 * 1024);
    const [stdout] = await proc.communicate(input);
    assertEquals(stdout, input.subarray(0, 10));
    assertEquals(proc.returncode, 0);
  });
});

Deno.test("faults: writing to a child that exited", async () => {
  await run(async () => {
    // communicate() swallows it.
    const proc = await createSubprocessExec("true", { stdin: PIPE });
    assertEquals(await proc.wait(), 0);
    assertEquals(await proc.communicate(randomBytes(1024 * 1024)), [null, null]);

    // A plain write after the exit is dropped; drain() says the pipe is gone.
    const proc2 = await createSubprocessExec("true", { stdin: PIPE });
    await proc2.wait();
    proc2.stdin!.write(encoder.encode("too late"));
    await assertRejects(() => proc2.stdin!.drain(), Deno.errors.ConnectionReset);
  });
});

Deno.test("faults: a write to a closed stdin pipe loses it with BrokenPipe", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "sh",
      "-c",
      "exec 0<&-; echo closed; exec sleep 30",
      { stdin: PIPE, stdout: PIPE, stderr: null },
    );
    const stdin = transport.getPipeTransport(0) as Transport;
    // Once "closed" arrives, nothing reads the pipe any more.
    const stdout = transport.getPipeTransport(1) as Transport;
    assert(stdout.isReading());
    await until(() => protocol.text(1) === "closed\n");
    stdin.write(randomBytes(256 * 1024));
    await until(() => protocol.events.includes("pipe0"));
    assert(protocol.pipeErrors.get(0) instanceof Deno.errors.BrokenPipe);
    assertStrictEquals(transport.getReturncode(), null);
    transport.kill();
    await protocol.lost;
    assertEquals(transport.getReturncode(), -9);
    transport.close();
  });
});

Deno.test("faults: cancelling wait() leaves the child running", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("sleep", "30", { stdout: PIPE });
    const waiting = createTask(() => proc.wait());
    await until(() => true);
    waiting.cancel();
    await assertRejects(() => waiting as unknown as Promise<number>, CancelledError);
    assertStrictEquals(proc.returncode, null);
    proc.kill();
    assertEquals(await proc.wait(), -9);
  });
});

Deno.test("faults: cancelling communicate() leaves the child running, and leaks nothing", async () => {
  await run(async () => {
    const proc = await createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE, stderr: PIPE });
    const communicating = createTask(() => proc.communicate(randomBytes(4 * 1024 * 1024)));
    await until(() => (proc.stdin!.transport as Transport).getWriteBufferSize() > 0);
    communicating.cancel();
    await assertRejects(
      () => communicating as unknown as Promise<unknown>,
      CancelledError,
    );
    assertStrictEquals(proc.returncode, null);
    // The child still runs: it can still be talked to.
    proc.stdin!.close();
    proc.kill();
    assertEquals(await proc.wait(), -9);
  });
});

Deno.test("faults: a child that dies before its pipes connect", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.subprocessExec(
      () => new SubprocessRecorder(),
      "sh",
      "-c",
      "kill -9 $$",
    );
    await protocol.lost;
    assertEquals(transport.getReturncode(), -9);
    assertEquals(protocol.events[0], "made");
    assertEquals(protocol.events.at(-1), "lost");
    transport.close();
  });
});

Deno.test("faults: a grandchild holding stdout keeps the transport open until it exits", async () => {
  await run(async () => {
    const proc = await createSubprocessShell(
      "exec 3<&0; (read x <&3; echo grandchild) & echo parent",
      {
        stdin: PIPE,
        stdout: PIPE,
      },
    );
    assertEquals(decoder.decode(await proc.stdout!.readline()), "parent\n");
    proc.stdin!.write(encoder.encode("go\n"));
    proc.stdin!.close();
    assertEquals(decoder.decode(await proc.stdout!.readline()), "grandchild\n");
    assertEquals(await proc.wait(), 0);
  });
});
