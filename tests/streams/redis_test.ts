// A real peer that none of us wrote: redis-server, spoken to with a small
// RESP client on openConnection (readuntil for the lines, readexactly for
// the binary-safe bulk strings), with 10,000 pipelined commands each way.
//
// The test is skipped, with a message, only when redis-server is not
// installed (.ci/run tries to install it first).
import {
  createTask,
  openConnection,
  run,
  type StreamReader,
  type StreamWriter,
} from "../../mod.ts";
import { assert, assertEquals } from "../deps.ts";
import { TextLineStream } from "../_lines.ts";
import { randomBytes } from "../_peers.ts";
import { bytes, concat, text } from "./_helpers.ts";

function redisVersion(): string | null {
  try {
    const out = new Deno.Command("redis-server", { args: ["--version"], stdin: "null" })
      .outputSync();
    if (!out.success) return null;
    const output = text(out.stdout);
    return output.match(/v=(\S+)/)?.[1] ?? output.trim();
  } catch {
    return null;
  }
}

const version = redisVersion();
if (version === null) {
  console.log(
    "redis_test.ts: redis-server is not installed, so the redis test is skipped " +
      "(install it, e.g. apt-get install redis-server, to run it).",
  );
}

const CRLF = bytes("\r\n");

/** A RESP reply: simple strings, errors, integers, bulk strings (null too), arrays. */
type Reply = string | number | Uint8Array | null | RedisError | Reply[];

class RedisError extends Error {}

/** A command as a RESP array of bulk strings. */
function encode(...args: (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [bytes(`*${args.length}\r\n`)];
  for (const arg of args) {
    const data = typeof arg === "string" ? bytes(arg) : arg;
    parts.push(bytes(`$${data.length}\r\n`), data, CRLF);
  }
  return concat(parts);
}

async function readReply(reader: StreamReader): Promise<Reply> {
  const line = await reader.readuntil(CRLF);
  const kind = String.fromCharCode(line[0]);
  const rest = text(line.subarray(1, line.length - 2));
  switch (kind) {
    case "+":
      return rest;
    case "-":
      return new RedisError(rest);
    case ":":
      return Number(rest);
    case "$": {
      const length = Number(rest);
      if (length === -1) return null;
      const data = await reader.readexactly(length + 2);
      assertEquals([...data.subarray(length)], [...CRLF], "a bulk string ends with CRLF");
      return data.subarray(0, length);
    }
    case "*": {
      const count = Number(rest);
      if (count === -1) return null;
      const items: Reply[] = [];
      for (let i = 0; i < count; i++) items.push(await readReply(reader));
      return items;
    }
    default:
      throw new Error(`unexpected RESP reply ${JSON.stringify(text(line))}`);
  }
}

class Redis {
  constructor(readonly reader: StreamReader, readonly writer: StreamWriter) {}

  async command(...args: (string | Uint8Array)[]): Promise<Reply> {
    this.writer.write(encode(...args));
    await this.writer.drain();
    return await readReply(this.reader);
  }

  /** Sends every command at once (in a task) while reading the replies as they come. */
  async pipeline(commands: (string | Uint8Array)[][]): Promise<Reply[]> {
    const sending = createTask(async () => {
      for (let i = 0; i < commands.length; i += 500) {
        this.writer.write(concat(commands.slice(i, i + 500).map((c) => encode(...c))));
        await this.writer.drain();
      }
    });
    const replies: Reply[] = [];
    for (let i = 0; i < commands.length; i++) replies.push(await readReply(this.reader));
    await sending;
    return replies;
  }
}

interface RedisServer {
  port: number;
  log: () => string;
  stop(): Promise<void>;
}

function freePort(): number {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  return port;
}

/** Starts redis-server and waits for its "Ready to accept connections" line. */
async function startRedis(): Promise<RedisServer> {
  const dir = await Deno.makeTempDir({ prefix: "asyncio-redis-" });
  const port = freePort();
  const child = new Deno.Command("redis-server", {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .pipeThrough(new TextLineStream()).getReader();
  const stderr = new Response(child.stderr).text();
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
    await reader.cancel().catch(() => {});
    await stderr;
    await Deno.remove(dir, { recursive: true });
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        const status = await child.status;
        throw new Error(
          `redis-server exited (${status.code}) before it was ready:\n${
            lines.join("\n")
          }\n${await stderr}`,
        );
      }
      lines.push(value);
      if (value.includes("Ready to accept connections")) break;
    }
  } catch (error) {
    await stop();
    throw error;
  }
  // Keep draining its log, so that it never blocks on a full pipe.
  (async () => {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: "", done: true }));
      if (done) return;
      lines.push(value);
    }
  })();
  return { port, log: () => lines.join("\n"), stop };
}

Deno.test({
  name: `redis: 10,000 pipelined SETs then GETs against a real redis-server (${
    version ?? "not installed"
  })`,
  ignore: version === null,
  async fn() {
    const redis = await startRedis();
    try {
      await run(async () => {
        const [reader, writer] = await openConnection("127.0.0.1", redis.port);
        try {
          const client = new Redis(reader, writer);
          assertEquals(await client.command("PING"), "PONG");
          assertEquals(
            text(await client.command("ECHO", "héllo\r\nworld") as Uint8Array),
            "héllo\r\nworld",
          );

          // Binary-safe values: random bytes, CR and LF included.
          const N = 10_000;
          const values = Array.from({ length: N }, (_, i) => {
            const tail = randomBytes(i % 97);
            return concat([bytes(`value:${i}:`), tail]);
          });
          const sets = await client.pipeline(values.map((v, i) => ["SET", `key:${i}`, v]));
          assertEquals(sets.length, N);
          assert(sets.every((r) => r === "OK"), "every SET answered +OK");

          const gets = await client.pipeline(values.map((_, i) => ["GET", `key:${i}`]));
          assertEquals(gets.length, N);
          let wrong = 0;
          for (let i = 0; i < N; i++) {
            const got = gets[i];
            if (!(got instanceof Uint8Array) || got.length !== values[i].length) wrong++;
            else if (!got.every((b, j) => b === values[i][j])) wrong++;
          }
          assertEquals(wrong, 0, "every GET returned its value");

          // The other kinds of reply: integers, errors, null, arrays.
          assertEquals(await client.command("DBSIZE"), N);
          assertEquals(await client.command("INCR", "counter"), 1);
          assertEquals(await client.command("INCRBY", "counter", "41"), 42);
          const error = await client.command("INCR", "key:0");
          assert(error instanceof RedisError && error.message.startsWith("ERR"), String(error));
          assertEquals(await client.command("GET", "no such key"), null);
          const mget = await client.command("MGET", "key:1", "missing", "key:2") as Reply[];
          assertEquals(mget.length, 3);
          assertEquals(mget[0], values[1]);
          assertEquals(mget[1], null);
          assertEquals(mget[2], values[2]);
          assertEquals(await client.command("DEL", "key:1", "key:2", "missing"), 2);

          writer.write(encode("QUIT"));
          assertEquals(await readReply(reader), "OK");
          assertEquals((await reader.read()).length, 0, "redis closed the connection");
        } finally {
          writer.close();
          await writer.waitClosed().catch(() => {});
        }
      });
    } catch (error) {
      throw new Error(`${error}\nredis log:\n${redis.log()}`, { cause: error });
    } finally {
      await redis.stop();
    }
  },
});
