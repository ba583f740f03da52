// Interop with CPython's asyncio, both ways, with checksummed random data.
import { getRunningLoop, run } from "../../mod.ts";
import { assertEquals } from "../deps.ts";
import { randomBytes, sha256, startPython } from "../_peers.ts";
import { Echo, portOf, Recorder } from "./_helpers.ts";

const PY_ECHO_SERVER = `
import asyncio, json, sys
class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
    def data_received(self, data):
        self.transport.write(data)
    def eof_received(self):
        self.transport.close()
async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, "127.0.0.1", 0)
    print(json.dumps({"port": server.sockets[0].getsockname()[1]}), flush=True)
    await asyncio.sleep(30)
asyncio.run(main())
`;

const PY_CLIENT = `
import asyncio, hashlib, json, os, sys
async def main():
    port, size = int(sys.argv[1]), int(sys.argv[2])
    print(json.dumps({"started": True}), flush=True)
    data = os.urandom(size)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    received = bytearray()
    class Client(asyncio.Protocol):
        def connection_made(self, transport):
            transport.write(data)
            transport.write_eof()
        def data_received(self, chunk):
            received.extend(chunk)
        def connection_lost(self, exc):
            done.set_result(exc)
    transport, _ = await loop.create_connection(Client, "127.0.0.1", port)
    await done
    print(json.dumps({"sent": hashlib.sha256(data).hexdigest(),
                      "received": hashlib.sha256(received).hexdigest(),
                      "length": len(received)}), flush=True)
asyncio.run(main())
`;

Deno.test("interop: this library's client against a CPython asyncio echo server", async () => {
  const peer = await startPython(PY_ECHO_SERVER);
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const [transport, client] = await loop.createConnection(
        () => new Recorder(),
        "127.0.0.1",
        peer.ready.port as number,
      );
      const data = randomBytes(3 * 1024 * 1024 + 17);
      transport.write(data);
      transport.writeEof();
      await client.lost;
      assertEquals(client.receivedLength, data.length);
      assertEquals(await sha256(client.received()), await sha256(data));
    });
  } finally {
    peer.kill();
    await peer.finished;
  }
});

Deno.test("interop: a CPython asyncio client against this library's echo server", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    class HalfCloseEcho extends Echo {
      override eofReceived(): boolean {
        this.transport.close();
        return true;
      }
    }
    const server = await loop.createServer(() => new HalfCloseEcho(), "127.0.0.1", 0);
    const size = 3 * 1024 * 1024 + 5;
    const peer = await startPython(PY_CLIENT, String(portOf(server)), String(size));
    let result: { code: number; stdout: string; stderr: string };
    try {
      // Awaiting a foreign promise idles the loop; the server's I/O goes on.
      result = await peer.finished;
    } finally {
      peer.kill();
    }
    assertEquals(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout.trim());
    assertEquals(report.length, size);
    assertEquals(report.received, report.sent);
    server.close();
    await server.waitClosed();
  });
});
