// The socket-level API: the Socket class and the loop's sock* methods, over
// TCP, UDP and Unix sockets, with cancellation, bad input, and a CPython
// socket-level client.
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  CancelledError,
  createTask,
  getRunningLoop,
  NotImplementedError,
  Protocol,
  run,
  sleep,
  SOCK_DGRAM,
  SOCK_STREAM,
  Socket,
  type Transport,
} from "../../mod.ts";
import {
  SO_BROADCAST,
  SO_REUSEADDR,
  SO_REUSEPORT,
  socket,
  SOL_SOCKET,
} from "../../transports/sockets.ts";
import { assert, assertEquals, assertRejects, assertStrictEquals, assertThrows } from "../deps.ts";
import { randomBytes, sha256, startPython } from "../_peers.ts";
import { tempDir } from "./_udp_helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A listening TCP socket on loopback, and a connected pair through it. */
async function tcpPair(family = AF_INET) {
  const loop = getRunningLoop();
  const server = socket(family, SOCK_STREAM);
  server.bind([family === AF_INET ? "127.0.0.1" : "::1", 0]);
  server.listen();
  const client = socket(family, SOCK_STREAM);
  const [[accepted, address]] = await Promise.all([
    loop.sockAccept(server),
    loop.sockConnect(client, server.getsockname()),
  ]);
  return { server, client, accepted, address };
}

async function recvAll(sock: Socket): Promise<Uint8Array> {
  const loop = getRunningLoop();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const chunk = await loop.sockRecv(sock, 65536);
    if (chunk.length === 0) break;
    chunks.push(chunk);
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

Deno.test("TCP: sockConnect, sockAccept, sockSendall, sockRecv; EOF is an empty array", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const { server, client, accepted, address } = await tcpPair();
    assertEquals(address, client.getsockname());
    assertEquals(accepted.getpeername(), client.getsockname());
    assertEquals(client.getpeername(), server.getsockname());
    assertEquals(accepted.family, AF_INET);
    assertEquals(accepted.type, SOCK_STREAM);
    const data = randomBytes(2 * 1024 * 1024 + 3);
    const [received] = await Promise.all([
      recvAll(accepted),
      (async () => {
        await loop.sockSendall(client, data);
        client.close();
      })(),
    ]);
    assertEquals(await sha256(received), await sha256(data));
    assertEquals((await loop.sockRecv(accepted, 10)).length, 0); // EOF stays EOF
    accepted.close();
    server.close();
  });
});

Deno.test("IPv6 TCP, sockRecvInto and sockRecvfrom on a stream", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const { server, client, accepted } = await tcpPair(AF_INET6);
    assertEquals(accepted.family, AF_INET6);
    await loop.sockSendall(client, encoder.encode("hello world"));
    const buf = new Uint8Array(5);
    assertEquals(await loop.sockRecvInto(accepted, buf), 5);
    assertEquals(decoder.decode(buf), "hello");
    const [rest, from] = await loop.sockRecvfrom(accepted, 100);
    assertEquals(decoder.decode(rest), " world");
    assertEquals(from, client.getsockname());
    assertEquals((await loop.sockRecv(accepted, 0)).length, 0);
    for (const s of [client, accepted, server]) s.close();
  });
});

Deno.test("a refused sockConnect rejects with Deno's error; the socket stays usable", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (probe.addr as Deno.NetAddr).port;
    probe.close();
    using sock = socket();
    await assertRejects(
      () => loop.sockConnect(sock, ["127.0.0.1", port]),
      Deno.errors.ConnectionRefused,
    );
    assertThrows(() => sock.getpeername(), Deno.errors.NotConnected);
    // A host name is resolved.
    using server = socket();
    server.bind(["127.0.0.1", 0]);
    server.listen();
    await loop.sockConnect(sock, ["localhost", (server.getsockname() as [string, number])[1]]);
    const [accepted] = await loop.sockAccept(server);
    accepted.close();
  });
});

Deno.test("cancellation: bytes and connections that arrive later go to the next call", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const { server, client, accepted } = await tcpPair();
    // A cancelled sockRecv: its read stays outstanding and keeps what comes.
    const reading = createTask(() => loop.sockRecv(accepted, 100));
    await sleep(0);
    reading.cancel();
    await assertRejects(() => reading, CancelledError);
    await loop.sockSendall(client, encoder.encode("kept"));
    assertEquals(decoder.decode(await loop.sockRecv(accepted, 2)), "ke");
    assertEquals(decoder.decode(await loop.sockRecv(accepted, 100)), "pt");
    // A cancelled sockAccept: the connection is not lost.
    const accepting = createTask(() => loop.sockAccept(server));
    await sleep(0);
    accepting.cancel();
    await assertRejects(() => accepting, CancelledError);
    const late = socket();
    await loop.sockConnect(late, server.getsockname());
    const [next, address] = await loop.sockAccept(server);
    assertEquals(address, late.getsockname());
    // Two readers at once each get their own bytes.
    const both = Promise.all([loop.sockRecv(next, 3), loop.sockRecv(next, 3)]);
    await loop.sockSendall(late, encoder.encode("abcdef"));
    assertEquals((await both).map((d) => decoder.decode(d)).sort(), ["abc", "def"]);
    for (const s of [client, accepted, server, late, next]) s.close();
  });
});

Deno.test("cancellation of sockConnect closes the late connection", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    using server = socket();
    server.bind(["127.0.0.1", 0]);
    server.listen();
    using sock = socket();
    const connecting = createTask(() => loop.sockConnect(sock, server.getsockname()));
    await sleep(0); // Deno.connect is under way
    connecting.cancel();
    const cancelled = await connecting.then(() => false, (e) => e instanceof CancelledError);
    const [accepted] = await loop.sockAccept(server);
    if (cancelled) {
      // The connection arrived after the cancellation and the library closed it.
      assertEquals((await loop.sockRecv(accepted, 10)).length, 0);
      assertThrows(() => sock.getpeername(), Deno.errors.NotConnected);
    } else {
      assertEquals(sock.getpeername(), server.getsockname()); // it won the race
    }
    accepted.close();
  });
});

Deno.test("UDP: sockSendto, sockRecvfrom, sockRecvfromInto; an unbound socket binds on first send", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    using a = socket(AF_INET, SOCK_DGRAM);
    a.bind(["127.0.0.1", 0]);
    using b = socket(AF_INET, SOCK_DGRAM);
    assertEquals(b.getsockname(), ["0.0.0.0", 0]);
    assertEquals(await loop.sockSendto(b, encoder.encode("ping"), a.getsockname()), 4);
    const [bHost, bPort] = b.getsockname() as [string, number];
    assertEquals(bHost, "0.0.0.0");
    assert(bPort > 0);
    const [data, from] = await loop.sockRecvfrom(a, 100);
    assertEquals(decoder.decode(data), "ping");
    assertEquals(from, ["127.0.0.1", bPort]);
    await loop.sockSendto(a, encoder.encode("a long reply"), from);
    const buf = new Uint8Array(64);
    const [n, sender] = await loop.sockRecvfromInto(b, buf, 6);
    assertEquals([n, decoder.decode(buf.subarray(0, n))], [6, "a long"]); // cut, as the OS does
    assertEquals(sender, a.getsockname());
    // A datagram's bytes beyond bufsize are dropped; the next call gets the next datagram.
    await loop.sockSendto(b, encoder.encode("12345"), a.getsockname());
    await loop.sockSendto(b, encoder.encode("67"), a.getsockname());
    assertEquals(decoder.decode((await loop.sockRecvfrom(a, 2))[0]), "12");
    assertEquals(decoder.decode(await loop.sockRecv(a, 100)), "67");
    // Deno's error for an over-large datagram rejects the call.
    await assertRejects(() => loop.sockSendto(b, new Uint8Array(70_000), a.getsockname()));
  });
});

Deno.test("UDP: sockConnect sets the peer; sockSendall sends to it and only its datagrams come in", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    using a = socket(AF_INET, SOCK_DGRAM);
    a.bind(["127.0.0.1", 0]);
    using b = socket(AF_INET, SOCK_DGRAM);
    await loop.sockConnect(b, a.getsockname());
    assertEquals(b.getpeername(), a.getsockname());
    assertEquals((b.getsockname() as [string, number])[0], "127.0.0.1");
    using stranger = socket(AF_INET, SOCK_DGRAM);
    await loop.sockSendto(stranger, encoder.encode("ignored"), b.getsockname());
    await loop.sockSendall(b, encoder.encode("to the peer"));
    const [data, from] = await loop.sockRecvfrom(a, 100);
    assertEquals(decoder.decode(data), "to the peer");
    await loop.sockSendto(a, encoder.encode("reply"), from);
    assertEquals(decoder.decode(await loop.sockRecv(b, 100)), "reply");
  });
});

Deno.test("cancellation: a datagram that arrives after a cancelled sockRecvfrom is kept", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    using a = socket(AF_INET, SOCK_DGRAM);
    a.bind(["127.0.0.1", 0]);
    const receiving = createTask(() => loop.sockRecvfrom(a, 100));
    await sleep(0);
    receiving.cancel();
    await assertRejects(() => receiving, CancelledError);
    using b = socket(AF_INET, SOCK_DGRAM);
    await loop.sockSendto(b, encoder.encode("first"), a.getsockname());
    await loop.sockSendto(b, encoder.encode("second"), a.getsockname());
    assertEquals(decoder.decode((await loop.sockRecvfrom(a, 100))[0]), "first");
    assertEquals(decoder.decode((await loop.sockRecvfrom(a, 100))[0]), "second");
  });
});

Deno.test("Unix sockets: a stream pair on a path, and datagrams sent while a receive is pending", async () => {
  const dir = await tempDir();
  try {
    await run(async () => {
      const loop = getRunningLoop();
      const path = `${dir.path}/stream.sock`;
      using server = socket(AF_UNIX, SOCK_STREAM);
      server.bind(path);
      server.listen();
      assertEquals(server.getsockname(), path);
      using client = socket(AF_UNIX);
      await loop.sockConnect(client, path);
      const [conn, address] = await loop.sockAccept(server);
      using _conn = conn;
      assertEquals(typeof address, "string");
      await loop.sockSendall(client, encoder.encode("over unix"));
      assertEquals(decoder.decode(await loop.sockRecv(conn, 100)), "over unix");

      using a = socket(AF_UNIX, SOCK_DGRAM);
      a.bind(`${dir.path}/a.sock`);
      using b = socket(AF_UNIX, SOCK_DGRAM);
      b.bind(`${dir.path}/b.sock`);
      // A receive is pending on `a` while `a` sends (Deno alone would throw Busy).
      const received = loop.sockRecvfrom(a, 100);
      await sleep(0);
      // (Fewer than the kernel queues for `b`: net.unix.max_dgram_qlen, 10 by default.)
      for (let i = 0; i < 8; i++) {
        await loop.sockSendto(a, encoder.encode(`n${i}`), b.getsockname());
      }
      for (let i = 0; i < 8; i++) {
        const [data, from] = await loop.sockRecvfrom(b, 100);
        assertEquals([decoder.decode(data), from], [`n${i}`, `${dir.path}/a.sock`]);
      }
      await loop.sockSendto(b, encoder.encode("answer"), a.getsockname());
      const [answer, from] = await received;
      assertEquals([decoder.decode(answer), from], ["answer", `${dir.path}/b.sock`]);
      // An unbound Unix datagram socket can send, not receive.
      using anon = socket(AF_UNIX, SOCK_DGRAM);
      await loop.sockSendto(anon, encoder.encode("anon"), a.getsockname());
      assertEquals((await loop.sockRecvfrom(a, 100))[1], "");
      await assertRejects(() => loop.sockRecvfrom(anon, 100), Deno.errors.NotConnected);
    });
  } finally {
    await dir.cleanup();
  }
});

Deno.test("bad input and misuse get clear errors", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const { server, client, accepted } = await tcpPair();
    await assertRejects(() => loop.sockSendall(client, "text" as never), TypeError, "string");
    await assertRejects(() => loop.sockRecv(client, -1), RangeError);
    await assertRejects(() => loop.sockRecv(client, 1.5), TypeError);
    await assertRejects(() => loop.sockRecv({} as never, 1), TypeError);
    await assertRejects(() => loop.sockRecvInto(client, "buf" as never), TypeError);
    await assertRejects(() => loop.sockRecvfromInto(client, new Uint8Array(2), 3), RangeError);
    await assertRejects(
      () => loop.sockSendto(client, new Uint8Array(1), ["127.0.0.1", 1]),
      RangeError,
    );
    await assertRejects(() => loop.sockAccept(client), RangeError, "listening");
    using fresh = socket();
    await assertRejects(() => loop.sockConnect(fresh, ["127.0.0.1"] as never), TypeError);
    await assertRejects(() => loop.sockConnect(fresh, "/a/path"), TypeError);
    await assertRejects(() => loop.sockConnect(fresh, ["127.0.0.1", 65536]), RangeError);
    await assertRejects(() => loop.sockConnect(fresh, ["::1", 80]), RangeError, "family");
    await assertRejects(() => loop.sockRecv(fresh, 10), Deno.errors.NotConnected);
    await assertRejects(() => loop.sockSendall(fresh, new Uint8Array(1)), Deno.errors.NotConnected);
    assertThrows(() => socket(99), RangeError);
    assertThrows(() => socket(AF_INET, 5), RangeError);
    assertThrows(() => fresh.bind(["127.0.0.1", -5]), RangeError);
    using bound = socket();
    bound.bind(["127.0.0.1", 0]);
    assertThrows(() => bound.bind(["127.0.0.1", 0]), RangeError, "already bound");
    await assertRejects(
      () => loop.sockConnect(bound, server.getsockname()),
      NotImplementedError,
      "Deno.connect cannot bind",
    );
    assertThrows(() => bound.bind(server.getsockname()), RangeError);
    using taken = socket();
    assertThrows(() => taken.bind(server.getsockname()), Deno.errors.AddrInUse);
    using dgram = socket(AF_INET, SOCK_DGRAM);
    assertThrows(() => dgram.listen(), Deno.errors.NotSupported);
    await assertRejects(() => loop.sockSendall(dgram, new Uint8Array(1)), Deno.errors.NotConnected);
    await assertRejects(() => loop.sockSendto(dgram, new Uint8Array(1), null as never), TypeError);
    await assertRejects(
      () => loop.sockSendto(dgram, new Uint8Array(1), [1, 2] as never),
      TypeError,
    );
    assertThrows(() => dgram.setsockopt(6, 1, 1), NotImplementedError);
    client.close();
    client.close();
    assert(client.closed);
    assertThrows(() => client.getsockname(), Deno.errors.BadResource);
    await assertRejects(() => loop.sockRecv(client, 1), Deno.errors.BadResource);
    accepted.close();
    server.close();
  });
});

Deno.test("close with operations pending: they end, nothing leaks", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const { server, client, accepted } = await tcpPair();
    const reading = loop.sockRecv(accepted, 10);
    const accepting = loop.sockAccept(server);
    using dgram = socket(AF_INET, SOCK_DGRAM);
    dgram.bind(["127.0.0.1", 0]);
    const receiving = loop.sockRecvfrom(dgram, 10);
    await sleep(0);
    accepted.close();
    server.close();
    dgram.close();
    await assertRejects(() => reading);
    await assertRejects(() => accepting);
    await assertRejects(() => receiving);
    client.close();
  });
});

Deno.test("setsockopt, setblocking, Socket.from, resource, toString, using", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    using a = socket();
    a.setblocking(false);
    a.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    a.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
    a.bind(["127.0.0.1", 0]);
    using b = socket();
    b.setsockopt(SOL_SOCKET, SO_REUSEPORT, true);
    b.bind(a.getsockname()); // both with SO_REUSEPORT
    assertThrows(() => a.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1), RangeError, "before bind");
    using u = socket(AF_INET, SOCK_DGRAM);
    u.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
    assertStrictEquals(u.resource, null);
    assert(String(u).startsWith("<Socket family=2 type=2"));
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    using wrapped = Socket.from(listener);
    assertStrictEquals(wrapped.resource, listener);
    const [[conn]] = await Promise.all([
      loop.sockAccept(wrapped),
      Deno.connect({ hostname: "127.0.0.1", port: (listener.addr as Deno.NetAddr).port }),
    ]).then(([accepted, c]) => {
      c.close();
      return [accepted];
    });
    assertEquals(conn.type, SOCK_STREAM);
    assert((conn.resource as Deno.Conn).remoteAddr !== undefined);
    assert(String(conn).includes("raddr="));
    conn.close();
    assertStrictEquals(conn.resource, null);
    assertThrows(() => Socket.from({} as never), TypeError);
  });
});

Deno.test("a Socket's Deno resource serves createConnection and connectAcceptedSocket", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const { server, client, accepted } = await tcpPair();
    class Collect extends Protocol {
      chunks: string[] = [];
      done = loop.createFuture<void>();
      override dataReceived(data: Uint8Array) {
        this.chunks.push(decoder.decode(data));
        if (this.chunks.join("").length === 5) this.done.setResult();
      }
    }
    const [transport, protocol] = await loop.createConnection(() => new Collect(), null, null, {
      sock: client.resource as Deno.Conn,
    });
    const [other, otherProtocol] = await loop.connectAcceptedSocket(
      () => new Collect(),
      accepted.resource as Deno.Conn,
    );
    (other as Transport).write(encoder.encode("hello"));
    transport.write(encoder.encode("world"));
    await Promise.all([protocol.done, otherProtocol.done]);
    assertEquals([protocol.chunks.join(""), otherProtocol.chunks.join("")], ["hello", "world"]);
    transport.close();
    other.close();
    server.close();
    await sleep(0);
  });
});

Deno.test("addReader and friends throw NotImplementedError that says why", async () => {
  await run(() => {
    const loop = getRunningLoop();
    assertThrows(() => loop.addReader(0, () => {}), NotImplementedError, "file descriptors");
    assertThrows(() => loop.removeReader(0), NotImplementedError);
    assertThrows(() => loop.addWriter(0, () => {}), NotImplementedError, "file descriptors");
    assertThrows(() => loop.removeWriter(0), NotImplementedError);
    return Promise.resolve();
  });
});

const PY_SOCKET_CLIENT = `
import hashlib, json, os, socket, sys
port, size = int(sys.argv[1]), int(sys.argv[2])
data = os.urandom(size)
with socket.create_connection(("127.0.0.1", port)) as sock:
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
    received = bytearray()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        received.extend(chunk)
print(json.dumps({"started": True}), flush=True)
print(json.dumps({"sent": hashlib.sha256(data).hexdigest(),
                  "received": hashlib.sha256(received).hexdigest(),
                  "length": len(received)}), flush=True)
`;

Deno.test("interop: a CPython socket client against sockAccept, sockRecv and sockSendall", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    using server = socket();
    server.bind(["127.0.0.1", 0]);
    server.listen(8);
    const size = 3 * 1024 * 1024 + 11;
    const python = startPython(
      PY_SOCKET_CLIENT,
      String((server.getsockname() as [string, number])[1]),
      String(size),
    );
    const [conn, address] = await loop.sockAccept(server);
    using _conn = conn;
    assertEquals(address[0], "127.0.0.1");
    // An echo server, as a Python programmer would write it with sock_* calls.
    let echoed = 0;
    for (;;) {
      const chunk = await loop.sockRecv(conn, 65536);
      if (chunk.length === 0) break;
      await loop.sockSendall(conn, chunk);
      echoed += chunk.length;
    }
    conn.close();
    const peer = await python;
    let result: { code: number; stdout: string; stderr: string };
    try {
      result = await peer.finished;
    } finally {
      peer.kill();
    }
    assertEquals(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout.trim());
    assertEquals([echoed, report.length], [size, size]);
    assertEquals(report.received, report.sent);
  });
});

// ---- socketpair ----------------------------------------------------------------

// (an import may stand anywhere at the top level; this one belongs to this part)
import { socketpair } from "../../mod.ts";

/** Sends `text` from `a` to `b`, then the other way, and checks what arrives. */
async function exchange(a: Socket, b: Socket): Promise<void> {
  const loop = getRunningLoop();
  await loop.sockSendall(a, encoder.encode("ping"));
  assertEquals(decoder.decode(await loop.sockRecv(b, 100)), "ping");
  const big = randomBytes(512 * 1024 + 3);
  const [, received] = await Promise.all([
    loop.sockSendall(b, big).then(() => b.close()),
    recvAll(a),
  ]);
  assertEquals(await sha256(received), await sha256(big));
}

Deno.test("socketpair: two connected sockets of each family, data both ways", async () => {
  await run(async () => {
    for (const family of [AF_UNIX, AF_INET, AF_INET6]) {
      const [a, b] = await socketpair(family);
      try {
        assert(a instanceof Socket && b instanceof Socket);
        assertEquals([a.family, a.type, b.family, b.type], [
          family,
          SOCK_STREAM,
          family,
          SOCK_STREAM,
        ]);
        if (family !== AF_UNIX) {
          assertEquals(a.getsockname(), b.getpeername());
          assertEquals(a.getpeername(), b.getsockname());
          assertEquals(
            (a.getsockname() as [string, number])[0],
            family === AF_INET ? "127.0.0.1" : "::1",
          );
        }
        await exchange(a, b);
        assertEquals(b.closed, true);
      } finally {
        a.close();
        b.close();
      }
    }
  });
});

Deno.test("socketpair: the default is AF_UNIX, and its temporary socket path is gone", async () => {
  const [a, b] = await socketpair();
  try {
    assertEquals(a.family, AF_UNIX);
    const path = a.getsockname() as string;
    assert(/\/asyncio-socketpair-[^/]+\/socket$/.test(path), path);
    const dir = path.slice(0, path.lastIndexOf("/"));
    await assertRejects(Deno.lstat(dir), Deno.errors.NotFound);
    // The pair works without its path.
    await run(() => exchange(b, a));
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("socketpair: bad family or type", async () => {
  const says = (cls: ErrorConstructor | typeof NotImplementedError, text: RegExp) => (e: unknown) =>
    e instanceof cls && text.test((e as Error).message);
  await assertRejects(
    socketpair(0),
    says(RangeError, /family must be AF_UNIX, AF_INET or AF_INET6, got 0/),
  );
  await assertRejects(socketpair(AF_INET, 3), says(RangeError, /type must be SOCK_STREAM, got 3/));
  await assertRejects(
    socketpair(AF_UNIX, SOCK_DGRAM),
    says(NotImplementedError, /Deno cannot connect a datagram socket/),
  );
});

Deno.test("socketpair: a failure leaves nothing open and no temporary directory", async () => {
  // A temporary directory so deep that the socket path is over the 108
  // bytes a Unix socket address holds: listen fails after the directory
  // was made. The test's resource sanitizer checks that nothing stays open.
  const base = await Deno.makeTempDir({ prefix: "asyncio-socketpair-test-" });
  const deep = `${base}/${"d".repeat(120)}`;
  await Deno.mkdir(deep);
  const saved = Deno.env.get("TMPDIR");
  Deno.env.set("TMPDIR", deep);
  try {
    // Deno: "path must be shorter than SUN_LEN".
    await assertRejects(socketpair(), TypeError);
    assertEquals([...Deno.readDirSync(deep)], []);
  } finally {
    if (saved === undefined) Deno.env.delete("TMPDIR");
    else Deno.env.set("TMPDIR", saved);
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("socketpair: a missing permission names the flags to add, and leaves nothing behind", async () => {
  const script = `
    import { AF_INET, socketpair } from ${
    JSON.stringify(new URL("../../mod.ts", import.meta.url).href)
  };
    for (const family of [undefined, AF_INET]) {
      try {
        await socketpair(family);
        console.log("ok");
      } catch (e) {
        console.log(e.name + ": " + e.message);
      }
    }
  `;
  const dir = Deno.realPathSync(await Deno.makeTempDir({ prefix: "asyncio-socketpair-perm-" }));
  const tmp = `${dir}/tmp`;
  await Deno.mkdir(tmp);
  const child = async (...flags: string[]) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--no-config", "--quiet", ...flags, `${dir}/child.ts`],
      env: { TMPDIR: tmp },
      stdin: "null",
    }).output();
    assertEquals(output.code, 0, decoder.decode(output.stderr));
    return decoder.decode(output.stdout).trim().split("\n");
  };
  const note = " (socketpair(AF_UNIX) makes a Unix socket in a temporary directory; " +
    "socketpair(AF_INET) needs only --allow-net=127.0.0.1): " +
    "run again with --allow-net --allow-read --allow-write";
  try {
    await Deno.writeTextFile(`${dir}/child.ts`, script);
    const none = await child();
    assertEquals(none, [
      `NotCapable: Requires net, read and write access to "<TMP>"${note}`,
      'NotCapable: Requires net access to "127.0.0.1": run again with --allow-net=127.0.0.1',
    ]);
    // The directory is made, the listener is not: the directory goes.
    const [unix, inet] = await child(`--allow-write=${tmp}`, "--allow-net=127.0.0.1");
    const prefix = `NotCapable: Requires net, read and write access to "${tmp}/asyncio-socketpair-`;
    assert(unix.startsWith(prefix) && unix.endsWith(`/socket"${note}`), unix);
    assertEquals(inet, "ok");
    assertEquals([...Deno.readDirSync(tmp)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
