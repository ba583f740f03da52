import {
  AF_INET,
  AF_INET6,
  AI_NUMERICHOST,
  AI_PASSIVE,
  getRunningLoop,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  run,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
} from "../../mod.ts";
import { assert, assertEquals, assertRejects } from "../deps.ts";

Deno.test("getaddrinfo: localhost from /etc/hosts, as 5-tuples", async () => {
  await run(async () => {
    const infos = await getRunningLoop().getaddrinfo("localhost", 8080, {
      family: AF_INET,
      type: SOCK_STREAM,
    });
    assertEquals(infos[0], [AF_INET, SOCK_STREAM, IPPROTO_TCP, "", ["127.0.0.1", 8080]]);
  });
});

Deno.test("getaddrinfo: type 0 lists stream, datagram and raw entries", async () => {
  await run(async () => {
    const infos = await getRunningLoop().getaddrinfo("127.0.0.1", "53");
    assertEquals(infos.map((i) => [i[1], i[2]]), [
      [SOCK_STREAM, IPPROTO_TCP],
      [SOCK_DGRAM, IPPROTO_UDP],
      [SOCK_RAW, 0],
    ]);
    assertEquals(infos[0][4], ["127.0.0.1", 53]);
  });
});

Deno.test("getaddrinfo: no host gives loopback, or the wildcard with AI_PASSIVE", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const loopback = await loop.getaddrinfo(null, 1, { type: SOCK_STREAM });
    assertEquals(loopback.map((i) => i[4][0]), ["127.0.0.1", "::1"]);
    const passive = await loop.getaddrinfo(null, 1, { type: SOCK_STREAM, flags: AI_PASSIVE });
    assertEquals(passive.map((i) => i[4][0]), ["0.0.0.0", "::"]);
    const v6 = await loop.getaddrinfo("::1", 1, { type: SOCK_STREAM });
    assertEquals(v6[0][0], AF_INET6);
  });
});

Deno.test("getaddrinfo: failures reject with Deno.errors.NotFound; bad input throws", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    await assertRejects(() => loop.getaddrinfo("no-such-host.invalid", 80), Deno.errors.NotFound);
    await assertRejects(
      () => loop.getaddrinfo("localhost", 80, { flags: AI_NUMERICHOST }),
      Deno.errors.NotFound,
    );
    await assertRejects(
      () => loop.getaddrinfo("127.0.0.1", 80, { family: AF_INET6 }),
      Deno.errors.NotFound,
    );
    await assertRejects(() => loop.getaddrinfo("localhost", 99999), RangeError);
    await assertRejects(() => loop.getaddrinfo("localhost", "http"), TypeError);
    await assertRejects(() => loop.getaddrinfo("localhost", 80, { family: 99 }), RangeError);
  });
});

Deno.test("getnameinfo: numeric flags, and the resolver's names", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    assertEquals(
      await loop.getnameinfo(["127.0.0.1", 80], NI_NUMERICHOST | NI_NUMERICSERV),
      ["127.0.0.1", "80"],
    );
    const [host, service] = await loop.getnameinfo(["127.0.0.1", 22]);
    assert(host.length > 0);
    assertEquals(service, "ssh");
    assertEquals((await loop.getnameinfo(["127.0.0.1", 22], NI_NUMERICSERV))[1], "22");
    await assertRejects(() => loop.getnameinfo(["localhost", 80]), TypeError);
  });
});
