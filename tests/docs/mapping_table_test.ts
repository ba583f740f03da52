/**
 * README's mapping table against the code and the seeds: every name the
 * table gives exists (an export of `mod.ts`, or a member of an exported
 * class or of the loop), every API the seeds name has a row, and every
 * export of `mod.ts` appears in the table.
 */
import { assert, assertEquals } from "../deps.ts";
import { normalizePython, seedApis } from "./_seeds.ts";

const ROOT = new URL("../../", import.meta.url);

interface Row {
  python: string;
  here: string;
  state: string;
}

/** The rows of every table under README's "From asyncio to this library". */
async function mappingRows(): Promise<Row[]> {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const start = readme.indexOf("\n## From asyncio to this library");
  assert(start >= 0, "README has no section 'From asyncio to this library'");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const rows: Row[] = [];
  for (const line of section.split("\n")) {
    if (!line.startsWith("|") || /^\|\s*-/.test(line)) continue;
    const cells = line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim());
    if (cells.length !== 3) throw new Error(`a mapping row needs 3 cells: ${line}`);
    const [python, here, state] = cells;
    if (state === "state") continue; // a header
    rows.push({ python, here, state });
  }
  return rows;
}

/** The code spans of a cell. */
function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]);
}

/** `Class.member`, `loop.member`, `Name` or `Class[Symbol.x]` from a "here" form. */
function target(form: string): { owner: string; member: string | null } {
  const bare = form.replace(/^(?:await |new |using )+/, "");
  const match = bare.match(/^([A-Za-z_$][\w$]*)(?:\.([A-Za-z_$][\w$]*)|\[(Symbol\.\w+)\])?/);
  if (!match) throw new Error(`cannot read the form ${form}`);
  return {
    owner: match[1],
    member: match[2] ?? (match[3] ? `[${match[3]}]` : null),
  };
}

interface DocClass {
  members: Set<string>;
  extends: string | null;
}

/** `mod.ts`'s exports as `deno doc --json` sees them, with each class's members. */
async function documentedExports(): Promise<
  { names: Set<string>; classes: Map<string, DocClass> }
> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "mod.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  const json = JSON.parse(new TextDecoder().decode(stdout));
  // deno-lint-ignore no-explicit-any
  const symbols: any[] = Object.values(json.nodes).flatMap((node: any) => node.symbols);
  const names = new Set<string>();
  const classes = new Map<string, DocClass>();
  for (const symbol of symbols) {
    names.add(symbol.name);
    for (const declaration of symbol.declarations) {
      if (declaration.kind !== "class") continue;
      const def = declaration.def;
      const members = new Set<string>([
        // deno-lint-ignore no-explicit-any
        ...(def.methods ?? []).map((m: any) => m.name),
        // deno-lint-ignore no-explicit-any
        ...(def.properties ?? []).map((p: any) => p.name),
      ]);
      classes.set(symbol.name, { members, extends: def.extends ?? null });
    }
  }
  return { names, classes };
}

function hasMember(classes: Map<string, DocClass>, owner: string, member: string): boolean {
  for (let name: string | null = owner; name !== null;) {
    const cls = classes.get(name);
    if (!cls) return false;
    if (cls.members.has(member)) return true;
    name = cls.extends;
  }
  return false;
}

const rows = await mappingRows();
const exports = await documentedExports();

Deno.test("every row of the mapping table names something that exists", () => {
  const missing: string[] = [];
  for (const row of rows) {
    assert(
      /^(?:works|differs: |NotImplementedError: )/.test(row.state),
      `state must be works, differs: or NotImplementedError: (${row.here})`,
    );
    const [form] = codeSpans(row.here);
    assert(form !== undefined, `row without a form: ${row.python}`);
    const { owner, member } = target(form);
    if (owner === "loop") {
      if (!hasMember(exports.classes, "EventLoop", member ?? "")) missing.push(form);
    } else if (owner === "Deno" || (member === null && owner in globalThis)) {
      continue; // Deno's and JavaScript's own classes, passed through
    } else if (!exports.names.has(owner)) {
      missing.push(form);
    } else if (member !== null && !hasMember(exports.classes, owner, member)) {
      missing.push(form);
    }
  }
  assertEquals(missing, [], "forms in README's table that the code does not have");
});

Deno.test("every API of the seeds has a row", async () => {
  const listed = new Set<string>();
  for (const row of rows) {
    for (const span of codeSpans(row.python)) {
      for (const piece of span.split(/,\s*/)) {
        const name = piece.replace(/^(?:await |async with |async for )/, "").replace(/ as .*$/, "");
        listed.add(normalizePython(name));
      }
    }
  }
  const missing = [...await seedApis()].filter((api) => !listed.has(api));
  assertEquals(missing, [], "APIs of the seeds with no row in README's table");
});

Deno.test("every export of mod.ts appears in the mapping table", () => {
  const mentioned = new Set<string>();
  for (const row of rows) {
    for (const span of codeSpans(row.here)) {
      for (const word of span.matchAll(/[A-Za-z_$][\w$]*/g)) mentioned.add(word[0]);
    }
  }
  const missing = [...exports.names].filter((name) => !mentioned.has(name));
  assertEquals(missing, [], "exports of mod.ts that README's table does not mention");
});
