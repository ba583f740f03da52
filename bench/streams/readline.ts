/**
 * `readline` over a 100 MiB stream of 80-byte lines, fed in 64 KiB chunks:
 * prints `{"seconds", "mb_per_s", "lines"}`.
 *
 * @module
 */
import * as asyncio from "../../mod.ts";

const TOTAL = Number(Deno.args[0] ?? 100 * 1024 * 1024);

await asyncio.run(async () => {
  const line = new Uint8Array(80).fill(97);
  line[79] = 10;
  const chunk = new Uint8Array(65536 - (65536 % 80));
  for (let i = 0; i < chunk.length; i += 80) chunk.set(line, i);
  const reader = new asyncio.StreamReader();
  const start = performance.now();
  const feeder = asyncio.createTask(async () => {
    for (let fed = 0; fed < TOTAL; fed += chunk.length) {
      reader.feedData(chunk);
      await asyncio.sleep(0);
    }
    reader.feedEof();
  });
  let lines = 0;
  let bytes = 0;
  for (;;) {
    const got = await reader.readline();
    if (got.length === 0) break;
    lines++;
    bytes += got.length;
  }
  await feeder;
  const seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ seconds, mb_per_s: bytes / seconds / 1e6, lines }));
});
