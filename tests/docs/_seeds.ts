/**
 * Reads the seeds (the CPython low-level API index and the longer page on
 * streams, subprocesses, queues, protocols and transports) and lists every
 * asyncio API they name, spelled as Python's documentation qualifies it:
 * `asyncio.run`, `loop.call_soon`, `StreamWriter.drain`, `PIPE`.
 */

const SEEDS = new URL("../../../shared/seeds/", import.meta.url);

/** Module prefixes that Python spells before a class or constant. */
const MODULES = /^(?:asyncio\.)?(?:subprocess\.|trsock\.)?/;

/** Puts a Python name into the table's spelling: classes and constants lose their module. */
export function normalizePython(name: string): string {
  const bare = name.replace(/\(.*$/, "");
  const parts = bare.split(".");
  if (parts[0] === "asyncio" || parts[0] === "subprocess" || parts[0] === "trsock") {
    const rest = bare.replace(MODULES, "");
    // asyncio.run stays qualified; asyncio.Queue, subprocess.PIPE do not.
    return /^[A-Z]/.test(rest) ? rest : `asyncio.${rest}`;
  }
  return bare;
}

/** The APIs of the low-level index: every `:func:`, `:meth:` and `:class:` role. */
export function lowLevelIndexApis(text: string): Set<string> {
  const apis = new Set<string>();
  const flat = text.replace(/\s+/g, " ");
  for (const match of flat.matchAll(/:(?:func|meth|class):`([^`]+)`/g)) {
    let target = match[1].trim();
    const explicit = target.match(/<([^>]+)>$/);
    if (explicit) target = explicit[1];
    target = target.replace(/^~/, "").replace(/\(\)$/, "");
    // Python's own socket and exception types are not asyncio's to map.
    if (/^(?:socket\.socket|OSError)$/.test(target)) continue;
    apis.add(normalizePython(target));
  }
  return apis;
}

/**
 * The APIs of the longer page: qualified names in its text, and the methods
 * and attributes listed under each `class asyncio.X` heading.
 */
export function highLevelPageApis(page: string): Set<string> {
  const apis = new Set<string>();
  const text = page.replaceAll("\u00a0", " ");
  for (const match of text.matchAll(/\basyncio\.(?:subprocess\.|trsock\.)?([A-Za-z_]+)/g)) {
    if (match[1] === "subprocess" || match[1] === "trsock") continue;
    apis.add(normalizePython(match[0]));
  }
  for (const match of text.matchAll(/\bloop\.([a-z_]+)/g)) apis.add(`loop.${match[1]}`);
  for (const match of text.matchAll(/\bsubprocess\.(PIPE|DEVNULL|STDOUT)\b/g)) apis.add(match[1]);
  for (const match of text.matchAll(/^([A-Z][A-Za-z]+)\.([a-z_]+)\(/gm)) {
    apis.add(`${match[1]}.${match[2]}`);
  }
  // A class heading, then its members as "name()..." or "name<description>" lines.
  let owner: string | null = null;
  for (const line of text.split("\n")) {
    const heading = line.match(/^(?:class|exception) asyncio\.(?:subprocess\.)?([A-Za-z]+)/);
    if (heading) {
      owner = heading[1];
      continue;
    }
    if (owner === null) continue;
    if (/^(?:import |async def |def |class )/.test(line)) {
      owner = null;
      continue;
    }
    // "name(args)" alone or run into its description; a sentence that merely
    // starts with a name has a space after it.
    const member = line.match(
      /^(?:coroutine |awaitable )?([a-z][a-z_]*)(?:\([^)]*\))?(?=$|\P{ASCII})/u,
    );
    if (member) apis.add(`${owner}.${member[1]}`);
  }
  return apis;
}

/** Every API both seeds name. */
export async function seedApis(): Promise<Set<string>> {
  const low = await Deno.readTextFile(new URL("lowlevel-api-index.rst.txt", SEEDS));
  const high = await Deno.readTextFile(
    new URL("highlevel-streams-subprocess-queues-protocols.zh.txt", SEEDS),
  );
  return new Set([...lowLevelIndexApis(low), ...highLevelPageApis(high)]);
}
