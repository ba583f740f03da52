// StreamReaderProtocol reads a lent view of the transport's read buffer (its
// reader copies the bytes at once); a subclass with its own dataReceived()
// gets copies it may keep.
import {
  getRunningLoop,
  run,
  StreamReader,
  StreamReaderProtocol,
  type Transport,
} from "../../mod.ts";
import { assertEquals } from "../deps.ts";
import { randomBytes, sha256 } from "../_peers.ts";

Deno.test("StreamReaderProtocol: what the reader got is intact, read by read", async () => {
  await run(async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted = listener.accept();
    const reader = new StreamReader(1024 * 1024);
    await getRunningLoop().createConnection(
      () => new StreamReaderProtocol(reader),
      "127.0.0.1",
      (listener.addr as Deno.NetAddr).port,
    );
    const peer = await accepted;
    const chunks = [randomBytes(100_000), randomBytes(70_000), randomBytes(3_000)];
    for (const chunk of chunks) {
      await peer.write(chunk);
      // Each chunk is in the reader before the next arrives in the same buffer.
      assertEquals(await sha256(await reader.readexactly(chunk.length)), await sha256(chunk));
    }
    peer.close();
    listener.close();
    assertEquals((await reader.read()).length, 0);
  });
});

Deno.test("StreamReaderProtocol: a subclass's own dataReceived() gets chunks it may keep", async () => {
  await run(async () => {
    const kept: Uint8Array[] = [];
    let total = 0;
    let waiter: { n: number; done: () => void } | null = null;
    const received = (n: number) =>
      new Promise<void>((done) => total >= n ? done() : waiter = { n, done });
    class Keeping extends StreamReaderProtocol {
      override dataReceived(data: Uint8Array): void {
        kept.push(data);
        total += data.length;
        if (waiter !== null && total >= waiter.n) waiter.done();
      }
    }
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted = listener.accept();
    const [transport] = await getRunningLoop().createConnection(
      () => new Keeping(new StreamReader()),
      "127.0.0.1",
      (listener.addr as Deno.NetAddr).port,
    );
    const peer = await accepted;
    // Two separate reads into the transport's one read buffer.
    await peer.write(new Uint8Array(8192).fill(1));
    await received(8192);
    await peer.write(new Uint8Array(8192).fill(2));
    await received(2 * 8192);
    const all = new Uint8Array(total);
    kept.reduce((offset, chunk) => (all.set(chunk, offset), offset + chunk.length), 0);
    assertEquals(all.subarray(0, 8192).every((b) => b === 1), true);
    assertEquals(all.subarray(8192).every((b) => b === 2), true);
    (transport as Transport).close();
    peer.close();
    listener.close();
  });
});
