// Datagram endpoints: UDP over IPv4 and IPv6, Unix datagram sockets, flow
// control, bad input and faults, and interop with CPython's asyncio.
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  CancelledError,
  createTask,
  type DatagramTransport,
  type ExceptionContext,
  getRunningLoop,
  run,
  SOCK_DGRAM,
  SOCK_STREAM,
} from "../../mod.ts";
import { socket } from "../../transports/sockets.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "../deps.ts";
import { randomBytes, sha256, startPython } from "../_peers.ts";
import {
  checkNumbered,
  DatagramEcho,
  DatagramRecorder,
  flow,
  numbered,
  tempDir,
  windowed,
} from "./_udp_helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function echoServer(localAddr: [string, number] | string = ["127.0.0.1", 0]) {
  const loop = getRunningLoop();
  const [transport, protocol] = await loop.createDatagramEndpoint(() => new DatagramEcho(), {
    localAddr,
  });
  return {
    transport,
    protocol,
    addr: transport.getExtraInfo<[string, number] | string>("sockname")!,
  };
}

Deno.test("UDP echo: numbered datagrams go out and come back, callbacks in order", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await echoServer();
    const [transport, client] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      remoteAddr: server.addr as [string, number],
    });
    const seqs = await windowed(client, (d) => transport.sendto(d), 300, 1024);
    assertEquals([...seqs].sort((a, b) => a - b), [...Array(300).keys()]);
    assertEquals(client.datagrams[0][1], server.addr);
    transport.close();
    assertStrictEquals(await client.lost, null);
    server.transport.close();
    assertStrictEquals(await server.protocol.lost, null);
    assertEquals(client.events, ["made", "datagram", "lost"]);
    assertEquals(server.protocol.events, ["made", "datagram", "lost"]);
    assert(transport.isClosing());
  });
});

Deno.test("getExtraInfo: sockname, peername (with remoteAddr only) and the socket", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await echoServer();
    const [transport] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      remoteAddr: server.addr as [string, number],
    });
    const [host, port] = transport.getExtraInfo<[string, number]>("sockname")!;
    assertEquals(host, "127.0.0.1"); // bound on loopback, toward a loopback peer
    assert(port > 0);
    assertEquals(transport.getExtraInfo("peername"), server.addr);
    assertStrictEquals(server.transport.getExtraInfo("peername"), undefined);
    const conn = transport.getExtraInfo<Deno.DatagramConn>("socket")!;
    assertEquals((conn.addr as Deno.NetAddr).port, port);
    assertEquals(transport.getExtraInfo("nothing", 7), 7);
    transport.close();
    server.transport.close();
  });
});

Deno.test("IPv6: an echo over ::1", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await echoServer(["::1", 0]);
    assertEquals((server.addr as [string, number])[0], "::1");
    const [transport, client] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      remoteAddr: ["::1", (server.addr as [string, number])[1]],
    });
    await windowed(client, (d) => transport.sendto(d), 50, 100);
    assertEquals(client.datagrams.length, 50);
    transport.close();
    server.transport.close();
    await client.lost;
    await server.protocol.lost;
  });
});

Deno.test("host names go through getaddrinfo; a family alone binds the wildcard address", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [server, serverProtocol] = await loop.createDatagramEndpoint(() => new DatagramEcho(), {
      localAddr: ["localhost", 0],
      family: AF_INET,
    });
    const [, port] = server.getExtraInfo<[string, number]>("sockname")!;
    assertEquals(server.getExtraInfo<[string, number]>("sockname")![0], "127.0.0.1");
    const [client, protocol] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      family: AF_INET,
    });
    assertEquals(client.getExtraInfo<[string, number]>("sockname")![0], "0.0.0.0");
    // An address with a host name is accepted by sendto too.
    client.sendto(encoder.encode("by name"), ["localhost", port]);
    await protocol.receivedAtLeast(1);
    assertEquals(decoder.decode(protocol.datagrams[0][0]), "by name");
    client.close();
    server.close();
    await protocol.lost;
    await serverProtocol.lost;
  });
});

Deno.test("remoteAddr: other senders' datagrams are dropped, another address is a RangeError", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [a, pa] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      localAddr: ["127.0.0.1", 0],
    });
    const aAddr = a.getExtraInfo<[string, number]>("sockname")!;
    const [b, pb] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      remoteAddr: aAddr,
    });
    const [stranger, ps] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      localAddr: ["127.0.0.1", 0],
    });
    const bAddr = b.getExtraInfo<[string, number]>("sockname")!;
    stranger.sendto(encoder.encode("from a stranger"), bAddr);
    b.sendto(encoder.encode("hello"));
    b.sendto(encoder.encode("again"), aAddr); // the remote address itself is fine
    await pa.receivedAtLeast(2);
    a.sendto(encoder.encode("reply"), pa.datagrams[0][1]);
    await pb.receivedAtLeast(1);
    assertEquals(pb.datagrams.map(([d]) => decoder.decode(d)), ["reply"]);
    assertThrows(
      () => b.sendto(encoder.encode("x"), ["127.0.0.1", aAddr[1] + 1]),
      RangeError,
      "Invalid address",
    );
    assertThrows(() => a.sendto(encoder.encode("x")), TypeError, "needs an address");
    for (const t of [a, b, stranger]) t.close();
    await Promise.all([pa.lost, pb.lost, ps.lost]);
  });
});

Deno.test("allowBroadcast: remoteAddr is a default destination only, with no peername", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await echoServer();
    const [client, protocol] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      remoteAddr: server.addr,
      allowBroadcast: true,
    });
    assertStrictEquals(client.getExtraInfo("peername"), undefined);
    const [other, po] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      localAddr: ["127.0.0.1", 0],
    });
    other.sendto(encoder.encode("anyone"), client.getExtraInfo<[string, number]>("sockname")!);
    await protocol.receivedAtLeast(1);
    client.sendto(encoder.encode("echo me"));
    await protocol.receivedAtLeast(2);
    assertEquals(protocol.datagrams.map(([d]) => decoder.decode(d)), ["anyone", "echo me"]);
    client.close();
    other.close();
    server.transport.close();
    await Promise.all([protocol.lost, po.lost, server.protocol.lost]);
  });
});

Deno.test("reusePort: two endpoints share a port (Deno's reuseAddress); without it AddrInUse", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [first, p1] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      localAddr: ["127.0.0.1", 0],
      reusePort: true,
    });
    const addr = first.getExtraInfo<[string, number]>("sockname")!;
    const [second, p2] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      localAddr: addr,
      reusePort: true,
    });
    assertEquals(second.getExtraInfo("sockname"), addr);
    await assertRejects(
      () => loop.createDatagramEndpoint(() => new DatagramRecorder(), { localAddr: addr }),
      Deno.errors.AddrInUse,
    );
    first.close();
    second.close();
    await Promise.all([p1.lost, p2.lost]);
  });
});

Deno.test("flow control: pauseWriting above the high-water mark, resumeWriting once drained", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await echoServer();
    const [transport, client] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      remoteAddr: server.addr,
    });
    const t = flow(transport);
    assertEquals(t.getWriteBufferLimits(), [16384, 65536]);
    t.setWriteBufferLimits(200);
    assertEquals(t.getWriteBufferLimits(), [50, 200]);
    assertThrows(() => t.setWriteBufferLimits(10, 20), RangeError);
    for (let i = 0; i < 8; i++) t.sendto(numbered(i, 64));
    assertEquals(t.getWriteBufferSize(), 8 * 64);
    assertEquals(client.events, ["made", "pause"]);
    await client.receivedAtLeast(8);
    assertEquals(t.getWriteBufferSize(), 0);
    assertEquals(client.events.filter((e) => e === "pause" || e === "resume"), ["pause", "resume"]);
    transport.close();
    server.transport.close();
    await client.lost;
  });
});

Deno.test("an empty datagram is sent and received", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await echoServer();
    const [transport, client] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      remoteAddr: server.addr,
    });
    transport.sendto(new Uint8Array(0));
    await client.receivedAtLeast(1);
    assertEquals(client.datagrams[0][0].length, 0);
    transport.close();
    server.transport.close();
  });
});

Deno.test("close: queued datagrams are sent first; abort drops them", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [sink, ps] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      localAddr: ["127.0.0.1", 0],
    });
    const addr = sink.getExtraInfo<[string, number]>("sockname")!;
    const [closer, pc] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      remoteAddr: addr,
    });
    for (let i = 0; i < 10; i++) closer.sendto(numbered(i, 32));
    closer.close();
    closer.close();
    assertStrictEquals(await pc.lost, null);
    await ps.receivedAtLeast(10);
    assertEquals(ps.datagrams.map(([d]) => checkNumbered(d, 32)), [...Array(10).keys()]);
    // Writes after close are dropped.
    closer.sendto(numbered(99, 32));

    const [aborter, pa] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      remoteAddr: addr,
    });
    for (let i = 0; i < 10; i++) aborter.sendto(numbered(100 + i, 32));
    aborter.abort();
    assertEquals(flow(aborter).getWriteBufferSize(), 0);
    assertStrictEquals(await pa.lost, null);
    assertEquals(pa.events, ["made", "lost"]);
    sink.close();
    await ps.lost;
  });
});

Deno.test("closing an endpoint with a receive pending releases everything", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    for (
      const localAddr of [["127.0.0.1", 0] as [string, number], ["::1", 0] as [string, number]]
    ) {
      const [transport, protocol] = await loop.createDatagramEndpoint(
        () => new DatagramRecorder(),
        { localAddr },
      );
      transport.close();
      assertStrictEquals(await protocol.lost, null);
      assertEquals(protocol.events, ["made", "lost"]);
    }
    // Closed inside connectionMade: no receive starts at all.
    class CloseAtOnce extends DatagramRecorder {
      override connectionMade(transport: DatagramTransport): void {
        super.connectionMade(transport);
        transport.close();
      }
    }
    const [, protocol] = await loop.createDatagramEndpoint(() => new CloseAtOnce(), {
      localAddr: ["127.0.0.1", 0],
    });
    await protocol.lost;
  });
  // The sanitizers check that no receive op and no socket outlive the test.
});

Deno.test("an over-large datagram goes to errorReceived, and the endpoint goes on", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await echoServer();
    const [transport, client] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      remoteAddr: server.addr,
    });
    const error = client.nextError();
    transport.sendto(new Uint8Array(70_000));
    const exc = await error;
    assert(/too long/i.test(exc.message), exc.message);
    assert(!transport.isClosing());
    transport.sendto(encoder.encode("still here"));
    await client.receivedAtLeast(1);
    assertEquals(decoder.decode(client.datagrams[0][0]), "still here");
    // A send to an address Deno rejects also goes to errorReceived.
    const [free, pf] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      localAddr: ["127.0.0.1", 0],
    });
    const refused = pf.nextError();
    free.sendto(encoder.encode("x"), ["::1", 9]); // an IPv6 address from an IPv4 socket
    assert((await refused) instanceof Error);
    transport.close();
    free.close();
    server.transport.close();
    await Promise.all([client.lost, pf.lost, server.protocol.lost]);
  });
});

Deno.test("bad input gets a clear error at the call", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      localAddr: ["127.0.0.1", 0],
    });
    const dest: [string, number] = ["127.0.0.1", 9];
    assertThrows(
      () => transport.sendto("text" as unknown as Uint8Array, dest),
      TypeError,
      "string",
    );
    assertThrows(() => transport.sendto(encoder.encode("x"), ["127.0.0.1"] as never), TypeError);
    assertThrows(() => transport.sendto(encoder.encode("x"), [1, 2] as never), TypeError);
    assertThrows(() => transport.sendto(encoder.encode("x"), "/a/path"), TypeError);
    assertThrows(() => transport.sendto(encoder.encode("x"), ["127.0.0.1", 70000]), RangeError);
    assertThrows(() => transport.sendto(encoder.encode("x"), ["127.0.0.1", 1.5]), TypeError);
    assertEquals(flow(transport).getWriteBufferSize(), 0);
    const make = () => new DatagramRecorder();
    const cases: [() => Promise<unknown>, ErrorConstructor, string?][] = [
      [() => loop.createDatagramEndpoint(make, { localAddr: ["127.0.0.1", 70000] }), RangeError],
      [() => loop.createDatagramEndpoint(make, { localAddr: ["127.0.0.1", -1] }), RangeError],
      [() => loop.createDatagramEndpoint(make, { localAddr: ["127.0.0.1"] as never }), TypeError],
      [() => loop.createDatagramEndpoint(make, { remoteAddr: 42 as never }), TypeError],
      [() => loop.createDatagramEndpoint(make, { localAddr: "/x", family: AF_INET }), TypeError],
      [
        () => loop.createDatagramEndpoint(make, { localAddr: ["127.0.0.1", 0], family: AF_UNIX }),
        TypeError,
      ],
      [() => loop.createDatagramEndpoint(make, {}), RangeError, "unexpected address family"],
      [() => loop.createDatagramEndpoint(make, { family: 99, localAddr: ["x", 1] }), RangeError],
      [
        () =>
          loop.createDatagramEndpoint(make, {
            sock: transport.getExtraInfo<Deno.DatagramConn>("socket"),
            localAddr: ["127.0.0.1", 0],
          }),
        RangeError,
        "socket modifier keyword arguments",
      ],
      [() => loop.createDatagramEndpoint(make, { sock: socket(AF_INET, SOCK_STREAM) }), RangeError],
      [() => loop.createDatagramEndpoint(make, { sock: {} as never }), RangeError],
      [() => loop.createDatagramEndpoint(null as never, { family: AF_INET }), TypeError],
    ];
    for (const [call, ErrorClass, message] of cases) {
      await assertRejects(call, ErrorClass, message);
    }
    // An IPv6 literal asked for as AF_INET cannot be resolved.
    await assertRejects(
      () => loop.createDatagramEndpoint(make, { localAddr: ["::1", 0], family: AF_INET }),
      Deno.errors.NotFound,
    );
    // The protocol factory's error comes through, and the socket is closed.
    await assertRejects(
      () =>
        loop.createDatagramEndpoint(() => {
          throw new SyntaxError("no protocol");
        }, { localAddr: ["127.0.0.1", 0] }),
      SyntaxError,
    );
    transport.close();
    await protocol.lost;
  });
});

Deno.test("a protocol callback that throws is reported, and the endpoint goes on", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const reports: ExceptionContext[] = [];
    loop.setExceptionHandler((_loop, context) => reports.push(context));
    class Fragile extends DatagramRecorder {
      override onDatagram(data: Uint8Array): void {
        if (decoder.decode(data) === "boom") throw new EvalError("bad datagram");
      }
    }
    const [server, protocol] = await loop.createDatagramEndpoint(() => new Fragile(), {
      localAddr: ["127.0.0.1", 0],
    });
    const [client, pc] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      remoteAddr: server.getExtraInfo<[string, number]>("sockname")!,
    });
    client.sendto(encoder.encode("boom"));
    client.sendto(encoder.encode("fine"));
    await protocol.receivedAtLeast(2);
    assertEquals(reports.length, 1);
    assert(reports[0].exception instanceof EvalError);
    assert(!server.isClosing());
    server.close();
    client.close();
    await Promise.all([protocol.lost, pc.lost]);
    loop.setExceptionHandler(null);
  });
});

Deno.test("sock: a Socket, a Deno.DatagramConn; the transport owns and closes it", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await echoServer();
    const sock = socket(AF_INET, SOCK_DGRAM);
    sock.bind(["127.0.0.1", 0]);
    await loop.sockConnect(sock, server.addr);
    const [t1, p1] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), { sock });
    assertEquals(t1.getExtraInfo("peername"), server.addr);
    assertEquals(t1.getExtraInfo("sockname"), sock.getsockname());
    t1.sendto(encoder.encode("via Socket"));
    await p1.receivedAtLeast(1);
    t1.close();
    await p1.lost;
    assert(sock.closed);

    const conn = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const [t2, p2] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      sock: conn,
    });
    assertStrictEquals(t2.getExtraInfo("socket"), conn);
    t2.sendto(encoder.encode("via DatagramConn"), server.addr);
    await p2.receivedAtLeast(1);
    assertEquals(decoder.decode(p2.datagrams[0][0]), "via DatagramConn");
    t2.close();
    await p2.lost;
    server.transport.close();
    await server.protocol.lost;
  });
});

Deno.test("Unix datagrams: a burst both ways while receives are pending", async () => {
  const dir = await tempDir();
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const serverPath = `${dir.path}/server.sock`;
      const clientPath = `${dir.path}/client.sock`;
      // A stale socket file at the path is replaced, as asyncio does.
      Deno.listenDatagram({ transport: "unixpacket", path: serverPath }).close();
      const server = await echoServer(serverPath);
      assertEquals(server.addr, serverPath);
      const [transport, client] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
        localAddr: clientPath,
        remoteAddr: serverPath,
      });
      assertEquals(transport.getExtraInfo("peername"), serverPath);
      assertEquals(transport.getExtraInfo("sockname"), clientPath);
      // More than the kernel queues (net.unix.max_dgram_qlen, 10 by default),
      // in one go, each side sending while its receive is pending.
      const count = 200;
      for (let i = 0; i < count; i++) transport.sendto(numbered(i, 200 + i));
      await client.receivedAtLeast(count);
      assertEquals(client.datagrams.map(([d], i) => checkNumbered(d, 200 + i)), [
        ...Array(count).keys(),
      ]);
      assertEquals(client.datagrams[0][1], serverPath);
      // A large Unix datagram is delivered whole.
      const big = randomBytes(150_000);
      transport.sendto(big);
      await client.receivedAtLeast(count + 1);
      assertEquals(await sha256(client.datagrams[count][0]), await sha256(big));
      transport.close();
      server.transport.close();
      await Promise.all([client.lost, server.protocol.lost]);
    });
  } finally {
    await dir.cleanup();
  }
});

Deno.test("Unix datagrams: an unbound endpoint can send; the receiver sees no address", async () => {
  const dir = await tempDir();
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const path = `${dir.path}/rx.sock`;
      const [rx, prx] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
        localAddr: path,
        family: AF_UNIX,
      });
      const [tx, ptx] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
        remoteAddr: path,
        family: AF_UNIX,
      });
      tx.sendto(encoder.encode("anonymous"));
      await prx.receivedAtLeast(1);
      assertEquals(prx.datagrams[0][1], "");
      const [anon, pa] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
        family: AF_UNIX,
      });
      anon.sendto(encoder.encode("to a path"), path);
      await prx.receivedAtLeast(2);
      assertThrows(() => anon.sendto(encoder.encode("x"), ["127.0.0.1", 1]), TypeError);
      const missing = pa.nextError();
      anon.sendto(encoder.encode("x"), `${dir.path}/nobody.sock`);
      assert((await missing) instanceof Deno.errors.NotFound);
      for (const t of [rx, tx, anon]) t.close();
      await Promise.all([prx.lost, ptx.lost, pa.lost]);
    });
  } finally {
    await dir.cleanup();
  }
});

Deno.test("without --unstable-net, the error says how to enable datagrams", async () => {
  const dir = await tempDir();
  try {
    const script = `${dir.path}/no_flag.ts`;
    const mod = new URL("../../mod.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import * as asyncio from ${JSON.stringify(mod)};
await asyncio.run(async () => {
  try {
    await asyncio.getRunningLoop().createDatagramEndpoint(() => new asyncio.DatagramProtocol(), {
      localAddr: ["127.0.0.1", 0],
    });
  } catch (error) {
    console.log(error.name + ": " + error.message);
  }
});
`,
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--allow-all", script],
      stdin: "null",
    }).output();
    const out = decoder.decode(output.stdout);
    assertEquals(output.code, 0, decoder.decode(output.stderr));
    assert(out.startsWith("NotCapable: "), out);
    assert(out.includes("--unstable-net"), out);
    assert(out.includes('"unstable": ["net"]'), out);
  } finally {
    await dir.cleanup();
  }
});

// ---- interop with CPython --------------------------------------------------------

const PY_UDP_ECHO_SERVER = `
import asyncio, json, socket, sys
class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport
    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)
async def main():
    loop = asyncio.get_running_loop()
    if len(sys.argv) > 1:
        transport, _ = await loop.create_datagram_endpoint(
            Echo, local_addr=sys.argv[1], family=socket.AF_UNIX)
        print(json.dumps({"path": sys.argv[1]}), flush=True)
    else:
        transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
        print(json.dumps({"port": transport.get_extra_info("sockname")[1]}), flush=True)
    await asyncio.sleep(30)
asyncio.run(main())
`;

const PY_UDP_CLIENT = `
import asyncio, hashlib, json, os, sys
async def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    print(json.dumps({"started": True}), flush=True)
    loop = asyncio.get_running_loop()
    sent, got = {}, {}
    done = loop.create_future()
    window = asyncio.Semaphore(16)
    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data, addr):
            seq = int.from_bytes(data[:4], "big")
            if seq not in got:
                got[seq] = data
                window.release()
            if len(got) == count and not done.done():
                done.set_result(None)
        def error_received(self, exc):
            print("error_received", exc, file=sys.stderr)
    transport, _ = await loop.create_datagram_endpoint(Client, remote_addr=("127.0.0.1", port))
    for seq in range(count):
        await window.acquire()
        data = seq.to_bytes(4, "big") + os.urandom(1 + (seq * 37) % 1400)
        sent[seq] = data
        transport.sendto(data)
    await asyncio.wait_for(done, 10)
    transport.close()
    print(json.dumps({
        "sent": hashlib.sha256(b"".join(sent[i] for i in range(count))).hexdigest(),
        "received": hashlib.sha256(b"".join(got[i] for i in range(count))).hexdigest(),
        "count": len(got),
    }), flush=True)
asyncio.run(main())
`;

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

async function exchangeChecksummed(
  transport: DatagramTransport,
  client: DatagramRecorder,
  count: number,
  sizeOf: (seq: number) => number,
): Promise<void> {
  const sent: Uint8Array[] = [];
  const got = new Map<number, Uint8Array>();
  let next = 0;
  const sendNext = () => {
    const datagram = randomBytes(sizeOf(next));
    new DataView(datagram.buffer).setUint32(0, next++);
    sent.push(datagram);
    transport.sendto(datagram);
  };
  while (next < 16) sendNext();
  for (let answered = 1; answered <= count; answered++) {
    await client.receivedAtLeast(answered);
    const [data] = client.datagrams[answered - 1];
    got.set(new DataView(data.buffer, data.byteOffset).getUint32(0), data);
    if (next < count) sendNext();
  }
  const received = [...Array(count).keys()].map((seq) => got.get(seq) ?? new Uint8Array(0));
  assertEquals(await sha256(concat(received)), await sha256(concat(sent)));
}

Deno.test("interop: this library's endpoint against a CPython asyncio datagram echo server", async () => {
  const peer = await startPython(PY_UDP_ECHO_SERVER);
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const [transport, client] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
        remoteAddr: ["127.0.0.1", peer.ready.port as number],
      });
      await exchangeChecksummed(transport, client, 500, (seq) => 4 + (seq * 53) % 1500);
      transport.close();
      await client.lost;
    });
  } finally {
    peer.kill();
    await peer.finished;
  }
});

Deno.test("interop: a CPython asyncio datagram client against this library's echo endpoint", async () => {
  await run(async () => {
    const server = await echoServer();
    const count = 500;
    const peer = await startPython(
      PY_UDP_CLIENT,
      String((server.addr as [string, number])[1]),
      String(count),
    );
    let result: { code: number; stdout: string; stderr: string };
    try {
      result = await peer.finished;
    } finally {
      peer.kill();
    }
    assertEquals(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout.trim());
    assertEquals(report.count, count);
    assertEquals(report.received, report.sent);
    server.transport.close();
    await server.protocol.lost;
  });
});

Deno.test("interop: Unix datagrams with a CPython asyncio echo endpoint", async () => {
  const dir = await tempDir();
  const serverPath = `${dir.path}/py.sock`;
  const peer = await startPython(PY_UDP_ECHO_SERVER, serverPath);
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const [transport, client] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
        localAddr: `${dir.path}/deno.sock`,
        remoteAddr: serverPath,
      });
      await exchangeChecksummed(transport, client, 300, (seq) => 4 + (seq * 997) % 20_000);
      transport.close();
      await client.lost;
    });
  } finally {
    peer.kill();
    await peer.finished;
    await dir.cleanup();
  }
});

Deno.test("AF_INET6 with no address binds ::", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const [transport, protocol] = await loop.createDatagramEndpoint(() => new DatagramRecorder(), {
      family: AF_INET6,
    });
    assertEquals(transport.getExtraInfo<[string, number]>("sockname")![0], "::");
    transport.close();
    await protocol.lost;
  });
});

Deno.test("examples/udp_echo_*.ts: the documentation's UDP echo pair", async () => {
  const { main: serve } = await import("../../examples/udp_echo_server.ts");
  const { main: ask } = await import("../../examples/udp_echo_client.ts");
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const ready = loop.createFuture<DatagramTransport>();
      const server = createTask(() => serve(0, (transport) => ready.setResult(transport)));
      const [, port] = (await ready).getExtraInfo<[string, number]>("sockname")!;
      await ask(port);
      server.cancel();
      await assertRejects(() => server, CancelledError);
    });
  } finally {
    console.log = log;
  }
  for (
    const line of [
      "Starting UDP server",
      "Send: Hello World!",
      'Received "Hello World!" from',
      "Received: Hello World!",
      "Close the socket",
      "Connection closed",
    ]
  ) {
    assert(
      lines.some((l) => l.startsWith(line)),
      `missing ${JSON.stringify(line)} in:\n${lines.join("\n")}`,
    );
  }
});
