// Property tests: for any data, any way of cutting it into chunks and any
// interleaving of feeds with reads, a StreamReader's read, readline,
// readexactly and readuntil (one separator or several) give what a simple
// model on the one concatenated array gives, limits and EOF included.
//
// Where asyncio's own result depends on how much had arrived (read(n)
// returns what is buffered; readline drops the buffered part of a line that
// outgrows the limit before its \n arrives), the model accepts every result
// a chunking could give, and follows the one observed.
// deno-lint-ignore no-import-prefix -- the only npm dependency, of the tests alone
import fc from "npm:fast-check@4";
import {
  createTask,
  IncompleteReadError,
  LimitOverrunError,
  run,
  sleep,
  StreamReader,
} from "../../mod.ts";
import { assert, assertEquals } from "../deps.ts";

const NL = 10;

type Op =
  | { kind: "read"; n: number }
  | { kind: "readline" }
  | { kind: "readexactly"; n: number }
  | { kind: "readuntil"; separators: Uint8Array[]; asArray: boolean };

/** What an operation gave: bytes, or an error with its details. */
type Outcome =
  | { ok: Uint8Array }
  | { incomplete: Uint8Array; expected: number | null }
  | { overrun: number }
  | { range: true };

function describeOp(op: Op): string {
  if (op.kind === "readuntil") {
    return `readuntil(${op.separators.map((s) => JSON.stringify(String.fromCharCode(...s)))})`;
  }
  return "n" in op ? `${op.kind}(${op.n})` : `${op.kind}()`;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function indexOf(data: Uint8Array, sep: Uint8Array, from: number): number {
  outer: for (let i = from; i + sep.length <= data.length; i++) {
    for (let j = 0; j < sep.length; j++) if (data[i + j] !== sep[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * The model: the data, all of it eventually followed by EOF, read from
 * position `pos`. Returns every position the reader may be at after `op`
 * gave `outcome` (none: the outcome is wrong).
 */
function step(data: Uint8Array, limit: number, pos: number, op: Op, outcome: Outcome): number[] {
  const rest = data.subarray(pos);
  switch (op.kind) {
    case "read": {
      if (!("ok" in outcome)) return [];
      const got = outcome.ok;
      if (op.n === 0) return got.length === 0 ? [pos] : [];
      if (op.n < 0) return equalBytes(got, rest) ? [data.length] : [];
      // What was buffered, at most n: empty only at the end.
      if (rest.length === 0) return got.length === 0 ? [pos] : [];
      if (got.length < 1 || got.length > op.n) return [];
      return equalBytes(got, rest.subarray(0, got.length)) ? [pos + got.length] : [];
    }
    case "readexactly": {
      if (rest.length >= op.n) {
        return "ok" in outcome && equalBytes(outcome.ok, rest.subarray(0, op.n))
          ? [pos + op.n]
          : [];
      }
      return "incomplete" in outcome && outcome.expected === op.n &&
          equalBytes(outcome.incomplete, rest)
        ? [data.length]
        : [];
    }
    case "readuntil": {
      // Sorted by length, as Python 3.13; the first to end wins, the shorter on a tie.
      const seps = [...op.separators].sort((a, b) => a.length - b.length);
      const maxLength = seps[seps.length - 1].length;
      let end = -1;
      let start = -1;
      for (const sep of seps) {
        const at = indexOf(rest, sep, 0);
        if (at !== -1 && (end === -1 || at + sep.length < end)) {
          end = at + sep.length;
          start = at;
        }
      }
      if (end !== -1 && start <= limit) {
        return "ok" in outcome && equalBytes(outcome.ok, rest.subarray(0, end)) ? [pos + end] : [];
      }
      if (end !== -1 || rest.length + 1 - maxLength > limit) {
        // LimitOverrunError, the data staying; consumed counts what was buffered.
        if (!("overrun" in outcome)) return [];
        const bound = end !== -1 ? start : rest.length + 1 - maxLength;
        return outcome.overrun > limit && outcome.overrun <= bound ? [pos] : [];
      }
      return "incomplete" in outcome && outcome.expected === null &&
          equalBytes(outcome.incomplete, rest)
        ? [data.length]
        : [];
    }
    case "readline": {
      const nl = rest.indexOf(NL);
      if (nl !== -1 && nl <= limit) {
        return "ok" in outcome && equalBytes(outcome.ok, rest.subarray(0, nl + 1))
          ? [pos + nl + 1]
          : [];
      }
      if (nl === -1 && rest.length <= limit) {
        // The partial line at EOF (empty at the end).
        return "ok" in outcome && equalBytes(outcome.ok, rest) ? [data.length] : [];
      }
      if (!("range" in outcome)) return [];
      // Dropped: the line and its \n if it was all there, else what had arrived of it
      // (more than the limit, no \n).
      const positions = nl !== -1 ? [pos + nl + 1] : [];
      const longest = nl !== -1 ? nl : rest.length;
      for (let dropped = limit + 1; dropped <= longest; dropped++) positions.push(pos + dropped);
      return positions;
    }
  }
}

async function perform(reader: StreamReader, op: Op): Promise<Outcome> {
  try {
    switch (op.kind) {
      case "read":
        return { ok: await reader.read(op.n) };
      case "readline":
        return { ok: await reader.readline() };
      case "readexactly":
        return { ok: await reader.readexactly(op.n) };
      case "readuntil":
        return {
          ok: await reader.readuntil(op.asArray ? op.separators : op.separators[0]),
        };
    }
  } catch (error) {
    if (error instanceof IncompleteReadError) {
      return { incomplete: error.partial, expected: error.expected };
    }
    if (error instanceof LimitOverrunError) return { overrun: error.consumed };
    if (error instanceof RangeError && op.kind === "readline") return { range: true };
    throw error;
  }
}

// Few distinct bytes, so that lines and separators occur often.
const byte = fc.constantFrom(NL, 97, 98, 13, 99);
const separator = fc.array(byte, { minLength: 1, maxLength: 3 }).map((b) => new Uint8Array(b));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.integer({ min: -1, max: 40 }).map((n) => ({ kind: "read" as const, n })),
  fc.constant({ kind: "readline" as const }),
  fc.integer({ min: 0, max: 24 }).map((n) => ({ kind: "readexactly" as const, n })),
  fc.array(separator, { minLength: 1, maxLength: 3 }).chain((separators) =>
    fc.boolean().map((asArray) => ({
      kind: "readuntil" as const,
      separators: asArray ? separators : separators.slice(0, 1),
      asArray,
    }))
  ),
);

// Loop iterations and microtasks to yield.
const pause = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 6 }));

const scenario = fc.record({
  data: fc.array(byte, { maxLength: 160, size: "max" }).map((b) => new Uint8Array(b)),
  limit: fc.integer({ min: 1, max: 24 }),
  // Where the data is cut, and how many loop iterations the feeder and
  // the reader yield between their steps.
  cuts: fc.array(fc.integer({ min: 0, max: 160 }), { maxLength: 16, size: "max" }),
  feederYields: fc.array(pause, { minLength: 1, maxLength: 14 }),
  readerYields: fc.array(pause, { minLength: 1, maxLength: 14 }),
  ops: fc.array(op, { maxLength: 16, size: "max" }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/**
 * Yields loop iterations, then microtasks: a JS coroutine resumes over
 * several microtasks, so that another task may run in between.
 */
async function yields([iterations, microtasks]: [number, number]): Promise<void> {
  for (let i = 0; i < iterations; i++) await sleep(0);
  for (let i = 0; i < microtasks; i++) await null;
}

function chunksOf(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => Math.min(c, data.length)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let at = 0;
  for (const point of [...points, data.length]) {
    if (point > at) chunks.push(data.slice(at, point));
    at = Math.max(at, point);
  }
  return chunks;
}

async function check(s: Scenario): Promise<void> {
  const reader = new StreamReader(s.limit);
  const chunks = chunksOf(s.data, s.cuts);
  const feeder = createTask(async () => {
    for (let i = 0; i < chunks.length; i++) {
      await yields(s.feederYields[i % s.feederYields.length]);
      reader.feedData(chunks[i]);
    }
    await yields(s.feederYields[chunks.length % s.feederYields.length]);
    reader.feedEof();
  });
  const readerTask = createTask(async () => {
    let positions = [0];
    const trace: string[] = [];
    const ops = [...s.ops, { kind: "read", n: -1 } as Op];
    for (let i = 0; i < ops.length; i++) {
      await yields(s.readerYields[i % s.readerYields.length]);
      const op = ops[i];
      const outcome = await perform(reader, op);
      trace.push(
        `${describeOp(op)} -> ${
          JSON.stringify(
            outcome,
            (_k, v) => v instanceof Uint8Array ? String.fromCharCode(...v) : v,
          )
        }`,
      );
      const next = new Set<number>();
      for (const pos of positions) {
        for (const p of step(s.data, s.limit, pos, op, outcome)) next.add(p);
      }
      assert(next.size > 0, `no model state explains:\n${trace.join("\n")}`);
      positions = [...next];
    }
    // The last read(-1) read everything that was left.
    assertEquals(positions, [s.data.length], trace.join("\n"));
    assert(reader.atEof());
  });
  await readerTask;
  await feeder;
}

Deno.test("property: reads of a chunked, interleaved stream match the model on the whole data", async () => {
  await run(async () => {
    await fc.assert(fc.asyncProperty(scenario, check), { numRuns: 200 });
  });
});

Deno.test("property: readline over the limit drops the long line only, however the data comes", async () => {
  // The same check, aimed at readline with small limits: long lines whose
  // first part arrives while readline waits, and more data right after.
  const shortPause = fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 2 }));
  const lines = fc.record({
    data: fc.array(fc.constantFrom(NL, 97, 98), { maxLength: 40, size: "max" }).map((b) =>
      new Uint8Array(b)
    ),
    limit: fc.integer({ min: 1, max: 4 }),
    cuts: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 8, size: "max" }),
    feederYields: fc.array(shortPause, { minLength: 1, maxLength: 8 }),
    readerYields: fc.array(shortPause, { minLength: 1, maxLength: 8 }),
    ops: fc.array(fc.constant<Op>({ kind: "readline" }), { minLength: 1, maxLength: 8 }),
  });
  await run(async () => {
    await fc.assert(fc.asyncProperty(lines, check), { numRuns: 300 });
  });
});

Deno.test("property: readline and for await give the lines of the whole data", async () => {
  await run(async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(byte, { maxLength: 10 }).map((b) => new Uint8Array(b)), {
          maxLength: 15,
          size: "max",
        }),
        fc.array(pause, { minLength: 1, maxLength: 5 }),
        async (chunks, gaps) => {
          // Lines within the limit: the same lines however the data is cut.
          const reader = new StreamReader(1000);
          const feeder = createTask(async () => {
            for (let i = 0; i < chunks.length; i++) {
              await yields(gaps[i % gaps.length]);
              reader.feedData(chunks[i]);
            }
            reader.feedEof();
          });
          const lines: number[][] = [];
          for await (const line of reader) lines.push([...line]);
          await feeder;
          const all = chunks.flatMap((c) => [...c]);
          const expected: number[][] = [];
          let start = 0;
          for (let i = 0; i < all.length; i++) {
            if (all[i] === NL) {
              expected.push(all.slice(start, i + 1));
              start = i + 1;
            }
          }
          if (start < all.length) expected.push(all.slice(start));
          assertEquals(lines, expected);
        },
      ),
      { numRuns: 150 },
    );
  });
});

Deno.test("property: readexactly and read(n) in any sizes reassemble the data", async () => {
  await run(async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 3000, size: "max" }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20, size: "max" }),
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 64 }),
        async (data, chunkSizes, readSizes, limit) => {
          const reader = new StreamReader(limit);
          const feeder = createTask(async () => {
            let at = 0;
            for (let i = 0; at < data.length; i++) {
              const n = chunkSizes[i % chunkSizes.length];
              reader.feedData(data.subarray(at, at + n));
              at += n;
              await sleep(0);
            }
            reader.feedEof();
          });
          const parts: Uint8Array[] = [];
          let got = 0;
          for (let i = 0;; i++) {
            const n = readSizes[i % readSizes.length];
            if (i % 2 === 0) {
              const part = await reader.read(n);
              if (part.length === 0) break;
              assert(part.length <= n);
              parts.push(part);
              got += part.length;
            } else {
              try {
                const part = await reader.readexactly(n);
                assertEquals(part.length, n);
                parts.push(part);
                got += n;
              } catch (error) {
                assert(error instanceof IncompleteReadError);
                assertEquals(error.expected, n);
                assertEquals(error.partial.length, data.length - got);
                parts.push(error.partial);
                got += error.partial.length;
                break;
              }
            }
          }
          await feeder;
          const whole = new Uint8Array(got);
          let at = 0;
          for (const part of parts) {
            whole.set(part, at);
            at += part.length;
          }
          assertEquals(whole, data);
        },
      ),
      { numRuns: 150 },
    );
  });
});
