// The benchmarks' chart (bench/_chart.ts) on fixture reports, one in each
// runner's format: the ratios it reads, and the SVG it draws from them.
import { assert, assertEquals } from "../deps.ts";
import { type ChartSection, renderChart, sectionOf } from "../../bench/_chart.ts";

const machine = { os: "linux 6.1", arch: "x86_64", cpu: "Test CPU", cpus: "2", deno: "2.9.6" };
const date = "2026-12-01T21:19:18.959Z";

const FIXTURES: Record<string, unknown> = {
  loop: {
    suite: "loop",
    date,
    machine,
    rows: [
      { workload: "chain", label: "callSoon chain", ratio: 35, ratioUvloop: 13.4 },
      // A second metric of the same workload with the same ratios: drawn once.
      { workload: "chain", label: "callSoon chain: per call", ratio: 35, ratioUvloop: 13.4 },
      { workload: "gather", label: "gather: peak RSS <growth> & more", ratio: 0.45 },
    ],
  },
  echo: {
    benchmark: "echo",
    date,
    machine,
    echo: [{
      size: 1024,
      cells: { asyncio: { best: 90 }, raw: { best: 100 }, node: { best: 45 }, cpython: {} },
    }],
    bulk: { bytes: 1024 ** 3, cells: { asyncio: { best: 400 }, uvloop: { best: 500 } } },
  },
  tls: {
    benchmark: "tls",
    rows: [{ size: 65536, cells: { asyncio: { best: 4800 }, raw: { best: 200 } } }],
  },
  udp: {
    date,
    echo: [
      { server: "asyncio", size: 64, rps: 100 },
      { server: "raw", size: 64, rps: 125 },
      { server: "raw-pipelined", size: 64, rps: 90 },
    ],
    sendfile: [{ sender: "asyncio", bytes: 1024 ** 3, mib_per_s: 2000 }, {
      sender: "raw",
      bytes: 1024 ** 3,
      mib_per_s: 1000,
    }],
  },
  streams: {
    echo_rps: { "this library (streams)": 100, "raw Deno": 125, "CPython streams": 25 },
    readline: { ours: { mb_per_s: 350 }, cpython: { mb_per_s: 100 }, uvloop: null },
  },
  subprocess: {
    suite: "subprocess",
    rows: [{ workload: "spawn", size: 200, ratios: { raw: 1.02, node: 1.8 } }],
  },
};

const EXPECTED: Record<string, Record<string, Record<string, number>>> = {
  loop: {
    "callSoon chain": { cpython: 35, uvloop: 13.4 },
    "gather: peak RSS <growth> & more": { cpython: 0.45 },
  },
  echo: { "ping-pong 1 KiB": { raw: 0.9, node: 2 }, "bulk 1 GiB": { uvloop: 0.8 } },
  tls: { "ping-pong 64 KiB": { raw: 24 } },
  udp: { "echo 64 B": { raw: 0.8 }, "sendfile 1 GiB": { raw: 2 } },
  streams: { "echo 1 KiB": { raw: 0.8, cpython: 4 }, "readline, 80-byte lines": { cpython: 3.5 } },
  subprocess: { "spawn and wait, 200 × true": { raw: 1.02, node: 1.8 } },
};

function sections(): ChartSection[] {
  return Object.entries(FIXTURES).map(([name, report]) => sectionOf(name, report));
}

/** The tags of `svg`, checked to nest properly; returns the elements' names in order. */
function elements(svg: string): string[] {
  const names: string[] = [];
  const open: string[] = [];
  const body = svg.replace(/^<\?xml[^>]*\?>\s*/, "");
  const tags = [...body.matchAll(/<(\/?)([a-zA-Z]+)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/g)];
  assertEquals(tags.length, body.split("<").length - 1, "every < starts a well-formed tag");
  for (const match of tags) {
    const [, closing, name, , selfClosing] = match;
    if (closing) assertEquals(open.pop(), name, `</${name}> closes what it did not open`);
    else {
      names.push(name);
      if (!selfClosing) open.push(name);
    }
  }
  assertEquals(open, [], "every element is closed");
  // Nothing but tags and escaped text: no stray "<" or unescaped "&".
  const text = body.replace(/<[^>]*>/g, "");
  assert(!text.includes("<") && !/&(?!#\d+;|amp;|lt;|gt;|quot;)/.test(text), "text is escaped");
  return names;
}

function unescape(text: string): string {
  return text.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
}

Deno.test("bench chart: each runner's report gives its ratios (this library ÷ the peer)", () => {
  for (const section of sections()) {
    const got = Object.fromEntries(section.groups.map((g) => [g.workload, g.ratios]));
    for (const ratios of Object.values(got)) {
      for (const [peer, value] of Object.entries(ratios)) {
        ratios[peer as keyof typeof ratios] = Number(value!.toFixed(6));
      }
    }
    assertEquals(got, EXPECTED[section.name], section.name);
  }
});

Deno.test("bench chart: one labelled bar per ratio, a 1× line, a caption", () => {
  const all = sections();
  const svg = renderChart(all);
  const names = elements(svg);
  assertEquals(names[0], "svg");
  assert(!/<script|<image|<foreignObject|href=|@import|url\(/i.test(svg), "self-contained");

  const expected = Object.values(EXPECTED).flatMap((groups) =>
    Object.values(groups).flatMap((ratios) => Object.entries(ratios))
  );
  const bars = [...svg.matchAll(/<rect class="bar" data-peer="(\w+)"/g)].map((m) => m[1]);
  assertEquals(bars.length, expected.length);
  assertEquals(bars.sort(), expected.map(([peer]) => peer).sort());

  const values = [...svg.matchAll(/<text [^>]*class="value">([^<]*)<\/text>/g)].map((m) => m[1]);
  assertEquals(values.length, expected.length);
  assert(values.includes("0.90× raw Deno"), values.join(", "));
  assert(values.includes("35.0× CPython"));
  assert(values.includes("24.0× raw Deno"));
  const texts = [...svg.matchAll(/>([^<]+)<\/text>/g)].map((m) => unescape(m[1]));
  for (const workload of Object.values(EXPECTED).flatMap((groups) => Object.keys(groups))) {
    assert(texts.includes(workload), `the label ${workload}`);
  }
  assertEquals([...svg.matchAll(/<line class="one"/g)].length, 1);
  assert(texts.some((t) => t.includes("results of 2026-12-01") && t.includes("Test CPU")));
});

Deno.test("bench chart: no results still make a valid SVG", () => {
  const svg = renderChart([]);
  assertEquals(elements(svg)[0], "svg");
  assert(svg.includes("No results"));
});
