/**
 * The sending side of the sendfile benchmark: sends a file to a sink on
 * 127.0.0.1:PORT, either with this library's `loop.sendfile` through a
 * socket transport (`--mode=asyncio`, with the transport's default water
 * marks, or `--high=BYTES` for another high-water mark; `--through` makes
 * it take the path through `transport.write()` that TLS transports take,
 * by replacing `write` on the instance) or with a raw Deno copy loop
 * (`--mode=raw`: `file.read` into a 64 KiB buffer, `conn.write` of what was
 * read).
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/udp/sendfile_sender.ts --mode=asyncio --port=N --file=PATH
 * ```
 *
 * Prints one JSON object: bytes, seconds (from the first byte read to the
 * connection closed, everything flushed), and memory: the peak RSS growth
 * over the start (getrusage) and the peak V8 heap growth (sampled every
 * 20 ms).
 *
 * @module
 */
import * as asyncio from "../../mod.ts";
import { MemorySampler } from "../_harness.ts";

const RAW_BUFFER = 64 * 1024;

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return Deno.args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const mode = option("mode") ?? "asyncio";
const port = Number(option("port"));
const path = option("file");
const high = option("high") === undefined ? undefined : Number(option("high"));
const through = Deno.args.includes("--through");
if (!(port > 0) || path === undefined || (mode !== "asyncio" && mode !== "raw")) {
  console.error("usage: --mode=asyncio|raw --port=N --file=PATH [--high=BYTES]");
  Deno.exit(2);
}

async function viaTransport(file: Deno.FsFile): Promise<number> {
  return await asyncio.run(async () => {
    const loop = asyncio.getRunningLoop();
    const lost = loop.createFuture<void>();
    class Sender extends asyncio.Protocol {
      override connectionLost(): void {
        lost.setResult();
      }
    }
    const [transport] = await loop.createConnection(() => new Sender(), "127.0.0.1", port);
    if (high !== undefined) transport.setWriteBufferLimits(high);
    if (through) transport.write = transport.write.bind(transport);
    const sent = await loop.sendfile(transport, file);
    transport.close();
    await lost;
    return sent;
  });
}

async function rawCopy(file: Deno.FsFile): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const buffer = new Uint8Array(RAW_BUFFER);
  let total = 0;
  for (;;) {
    const n = await file.read(buffer);
    if (n === null) break;
    let offset = 0;
    while (offset < n) offset += await conn.write(buffer.subarray(offset, n));
    total += n;
  }
  conn.close();
  return total;
}

const file = await Deno.open(path);
const sampler = new MemorySampler();
sampler.start();
const timer = setInterval(() => sampler.sample(), 20);
const t0 = performance.now();
const bytes = mode === "asyncio" ? await viaTransport(file) : await rawCopy(file);
const seconds = (performance.now() - t0) / 1000;
clearInterval(timer);
const memory = sampler.finish();
file.close();
console.log(JSON.stringify({
  mode,
  through,
  high: high ?? null,
  bytes,
  seconds,
  mib_per_s: bytes / 1048576 / seconds,
  rss_growth: memory.rssGrowth,
  heap_growth: memory.heapGrowth,
}));
