import { getRunningLoop, Protocol, run, RuntimeError, sleep, type Transport } from "../../mod.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../deps.ts";
import { randomBytes, sha256 } from "../_peers.ts";
import { decoder, encoder, Recorder } from "./_helpers.ts";

function cat() {
  return new Deno.Command("cat", { stdin: "piped", stdout: "piped", stderr: "null" }).spawn();
}

Deno.test("pipes: bytes written to a child's stdin come back from its stdout", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const child = cat();
    const [writeTransport, writer] = await loop.connectWritePipe(() => new Recorder(), child.stdin);
    const [readTransport, reader] = await loop.connectReadPipe(() => new Recorder(), child.stdout);
    assert(writeTransport.canWriteEof());
    const data = randomBytes(2 * 1024 * 1024);
    writeTransport.write(data);
    writeTransport.writeEof();
    await reader.lost;
    assertEquals(reader.events, ["made", "data", "eof", "lost"]);
    assertEquals(await sha256(reader.received()), await sha256(data));
    assert(readTransport.isClosing());
    writeTransport.close();
    await writer.lost;
    assertEquals((await child.status).code, 0);
  });
});

Deno.test("pipes: a read pipe cannot write; a write pipe does not read", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const child = cat();
    const [writeTransport, writer] = await loop.connectWritePipe(
      () => new Recorder(),
      { writable: child.stdin },
    );
    const [readTransport, reader] = await loop.connectReadPipe(
      () => new Recorder(),
      { readable: child.stdout },
    );
    assertThrows(() => (readTransport as Transport).write(encoder.encode("x")), RuntimeError);
    assert(!(readTransport as Transport).canWriteEof());
    assert(!(writeTransport as Transport).isReading());
    assertEquals(writeTransport.getExtraInfo("pipe"), { writable: child.stdin });
    writeTransport.close();
    await writer.lost;
    await reader.lost;
    await child.status;
  });
});

Deno.test("pipes: pauseReading stops pulling, resumeReading delivers everything", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const child = cat();
    const [writeTransport, writer] = await loop.connectWritePipe(() => new Recorder(), child.stdin);
    const [readTransport, reader] = await loop.connectReadPipe(() => new Recorder(), child.stdout);
    readTransport.pauseReading();
    assert(!readTransport.isReading());
    const data = randomBytes(4 * 1024 * 1024);
    writeTransport.write(data);
    // While paused, nothing is pulled: the pipe fills, cat blocks, and the
    // writer's buffer cannot drain (an absence, so it takes a moment).
    await sleep(0.05);
    assert(writeTransport.getWriteBufferSize() > 0);
    assertEquals(reader.receivedLength, 0);
    readTransport.resumeReading();
    writeTransport.writeEof();
    await reader.lost;
    assertEquals(await sha256(reader.received()), await sha256(data));
    writeTransport.close();
    await writer.lost;
    await child.status;
  });
});

Deno.test("pipes: a FIFO opened as a Deno.FsFile", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const dir = Deno.makeTempDirSync();
    const fifo = `${dir}/fifo`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assertEquals(made.code, 0);
    const [readEnd, writeEnd] = await Promise.all([
      Deno.open(fifo, { read: true }),
      Deno.open(fifo, { write: true }),
    ]);
    const [readTransport, reader] = await loop.connectReadPipe(() => new Recorder(), readEnd);
    const [writeTransport, writer] = await loop.connectWritePipe(() => new Recorder(), writeEnd);
    writeTransport.write(encoder.encode("through a fifo"));
    writeTransport.close();
    await writer.lost;
    await reader.lost;
    assertEquals(decoder.decode(reader.received()), "through a fifo");
    assert(readTransport.isClosing());
    Deno.removeSync(dir, { recursive: true });
  });
});

Deno.test("pipes: a write pipe whose reader went away loses the connection with the error", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const child = new Deno.Command("true", { stdin: "piped" }).spawn();
    await child.status;
    const [transport, writer] = await loop.connectWritePipe(() => new Recorder(), child.stdin);
    for (let i = 0; i < 4; i++) transport.write(randomBytes(64 * 1024));
    const error = await writer.lost;
    assert(error !== null, "the write failed");
    assert(transport.isClosing());
  });
});

Deno.test("pipes: bad pipes are TypeError", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    await assertRejects(() => loop.connectReadPipe(() => new Protocol(), {} as never), TypeError);
    await assertRejects(
      () => loop.connectWritePipe(() => new Protocol(), new ReadableStream() as never),
      TypeError,
    );
  });
});
