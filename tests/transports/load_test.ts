// Many clients at once: 500 connections each echo 256 KiB of random bytes.
import { type Future, gather, getRunningLoop, run, type Transport } from "../../mod.ts";
import { assert, assertEquals } from "../deps.ts";
import { randomBytes, sha256 } from "../_peers.ts";
import { Echo, portOf, Recorder } from "./_helpers.ts";

Deno.test("500 concurrent clients each get their 256 KiB back, in order", async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const server = await loop.createServer(() => new Echo(), "127.0.0.1", 0);
    const size = 256 * 1024;
    const clients = 500;
    class Client extends Recorder {
      readonly complete: Future<void> = getRunningLoop().createFuture();
      override onData(): void {
        if (this.receivedLength >= size && !this.complete.done()) this.complete.setResult();
      }
    }
    const payloads = Array.from({ length: clients }, () => randomBytes(size));
    const results = await gather(...payloads.map((payload) => async () => {
      const [transport, client] = await loop.createConnection(
        () => new Client(),
        "127.0.0.1",
        portOf(server),
      ) as [Transport, Client];
      transport.write(payload);
      await client.complete;
      transport.close();
      await client.lost;
      return client.received();
    }));
    assertEquals(results.length, clients);
    for (let i = 0; i < clients; i++) {
      assertEquals(results[i].length, size);
      assert(
        (await sha256(results[i])) === (await sha256(payloads[i])),
        `client ${i} got other bytes back`,
      );
    }
    server.close();
    await server.waitClosed();
  });
});
