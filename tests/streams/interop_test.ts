// Interop with CPython's asyncio streams, both ways: asyncio.start_server
// against this library's openConnection, and asyncio.open_connection against
// this library's startServer. The same little protocol on each side:
//   1. lines: each line comes back reversed, until "END\n";
//   2. blocks: a 4-byte big-endian length and the payload; it comes back
//      framed the same way, reversed, followed by a line with the payload's
//      SHA-256; a zero length ends it, and the server says "BYE\n" and closes.
import { createTask, openConnection, run, startServer, type StreamReader } from "../../mod.ts";
import { assert, assertEquals } from "../deps.ts";
import { randomBytes, sha256, startPython } from "../_peers.ts";
import { bytes, concat, portOf, text } from "./_helpers.ts";

const PY_SERVER = `
import asyncio, hashlib, json, struct

async def handle(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if line in (b"END\\n", b""):
                break
            writer.write(line[:-1][::-1] + b"\\n")
            await writer.drain()
        while True:
            (n,) = struct.unpack(">I", await reader.readexactly(4))
            if n == 0:
                break
            payload = await reader.readexactly(n)
            writer.write(struct.pack(">I", n) + payload[::-1])
            writer.write(hashlib.sha256(payload).hexdigest().encode() + b"\\n")
            await writer.drain()
        writer.write(b"BYE\\n")
        await writer.drain()
    finally:
        writer.close()
        await writer.wait_closed()

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
`;

const PY_CLIENT = `
import asyncio, hashlib, json, os, random, struct, sys

async def main():
    port = int(sys.argv[1])
    print(json.dumps({"started": True}), flush=True)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    rnd = random.Random(7)
    lines = [os.urandom(rnd.randrange(0, 15000)).hex().encode() for _ in range(300)]

    async def send_lines():
        for line in lines:
            writer.write(line + b"\\n")
            await writer.drain()
        writer.write(b"END\\n")
        await writer.drain()

    sender = asyncio.create_task(send_lines())
    bad_lines = 0
    for line in lines:
        if await reader.readline() != line[::-1] + b"\\n":
            bad_lines += 1
    await sender

    sizes = [1, 100, 65535, 65536, 65537, 1 << 20, 3 * (1 << 20) + 7]
    bad_blocks = 0
    for n in sizes:
        payload = os.urandom(n)
        writer.write(struct.pack(">I", n) + payload)
        await writer.drain()
        (m,) = struct.unpack(">I", await reader.readexactly(4))
        back = await reader.readexactly(m)
        digest = (await reader.readline()).strip().decode()
        if m != n or back != payload[::-1] or digest != hashlib.sha256(payload).hexdigest():
            bad_blocks += 1
    writer.write(struct.pack(">I", 0))
    await writer.drain()
    bye = await reader.readline()
    rest = await reader.read()
    writer.close()
    await writer.wait_closed()
    print(json.dumps({"lines": len(lines), "bad_lines": bad_lines, "blocks": len(sizes),
                      "bad_blocks": bad_blocks, "bye": bye.decode(), "eof": rest == b""}),
          flush=True)

asyncio.run(main())
`;

function reversed(data: Uint8Array): Uint8Array {
  return data.slice().reverse();
}

function frame(payload: Uint8Array): Uint8Array {
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, payload.length);
  return concat([header, payload]);
}

async function readFrame(reader: StreamReader): Promise<Uint8Array> {
  const header = await reader.readexactly(4);
  const n = new DataView(header.buffer, header.byteOffset, 4).getUint32(0);
  return await reader.readexactly(n);
}

/** Printable random lines (hex), of 0 to 30,000 characters. */
function randomLines(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const raw = randomBytes((i * 7919) % 15000);
    return bytes([...raw].map((b) => b.toString(16).padStart(2, "0")).join(""));
  });
}

Deno.test("interop: this library's openConnection against CPython's asyncio.start_server", async () => {
  const peer = await startPython(PY_SERVER);
  try {
    await run(async () => {
      const [reader, writer] = await openConnection("127.0.0.1", peer.ready.port as number);
      try {
        const lines = randomLines(300);
        const sending = createTask(async () => {
          for (const line of lines) {
            writer.write(concat([line, bytes("\n")]));
            await writer.drain();
          }
          writer.write(bytes("END\n"));
          await writer.drain();
        });
        const answers: Uint8Array[] = [];
        for (let i = 0; i < lines.length; i++) answers.push(await reader.readline());
        await sending;
        const expected = lines.map((line) => concat([reversed(line), bytes("\n")]));
        assertEquals(await sha256(concat(answers)), await sha256(concat(expected)));
        assertEquals(answers.map((a) => a.length), expected.map((e) => e.length));

        for (const size of [1, 100, 65535, 65536, 65537, 1 << 20, 3 * (1 << 20) + 7]) {
          const payload = randomBytes(size);
          writer.write(frame(payload));
          await writer.drain();
          const back = await readFrame(reader);
          const digest = text(await reader.readline()).trim();
          assertEquals(back.length, size);
          assertEquals(await sha256(back), await sha256(reversed(payload)), `block of ${size}`);
          assertEquals(digest, await sha256(payload), `CPython's digest of ${size} bytes`);
        }
        writer.write(frame(new Uint8Array(0)));
        await writer.drain();
        assertEquals(text(await reader.readline()), "BYE\n");
        assertEquals((await reader.read()).length, 0, "CPython closed the connection");
        assert(reader.atEof());
      } finally {
        writer.close();
        await writer.waitClosed().catch(() => {});
      }
    });
  } finally {
    peer.kill();
    await peer.finished;
  }
});

Deno.test("interop: CPython's asyncio.open_connection against this library's startServer", async () => {
  await run(async () => {
    const server = await startServer(
      async (reader, writer) => {
        try {
          for (;;) {
            const line = await reader.readline();
            if (line.length === 0 || text(line) === "END\n") break;
            writer.write(concat([reversed(line.subarray(0, line.length - 1)), bytes("\n")]));
            await writer.drain();
          }
          for (;;) {
            const payload = await readFrame(reader);
            if (payload.length === 0) break;
            writer.write(frame(reversed(payload)));
            writer.write(bytes(`${await sha256(payload)}\n`));
            await writer.drain();
          }
          writer.write(bytes("BYE\n"));
          await writer.drain();
        } finally {
          writer.close();
          await writer.waitClosed();
        }
      },
      "127.0.0.1",
      0,
    );
    try {
      const peer = await startPython(PY_CLIENT, String(portOf(server)));
      let result: { code: number; stdout: string; stderr: string };
      try {
        // Awaiting a foreign promise idles the loop; the server's I/O goes on.
        result = await peer.finished;
      } finally {
        peer.kill();
      }
      assertEquals(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout.trim());
      assertEquals(report, {
        lines: 300,
        bad_lines: 0,
        blocks: 7,
        bad_blocks: 0,
        bye: "BYE\n",
        eof: true,
      });
    } finally {
      server.close();
      await server.waitClosed();
    }
  });
});
