// Every program in examples/ is listed in README's "Examples" table and is
// run by some test, so an example cannot be added, or left, untested.
import { assert, assertEquals } from "../deps.ts";

const ROOT = new URL("../../", import.meta.url);

async function filesUnder(dir: URL, suffix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const url = new URL(entry.name + (entry.isDirectory ? "/" : ""), dir);
    if (entry.isDirectory) found.push(...await filesUnder(url, suffix));
    else if (entry.name.endsWith(suffix)) found.push(url.pathname);
  }
  return found;
}

Deno.test("every example is in README's table and run by a test", async () => {
  const examples = (await filesUnder(new URL("examples/", ROOT), ".ts"))
    .map((path) => path.slice(new URL(ROOT).pathname.length)).sort();
  assert(examples.length > 20, `found only ${examples.length} examples`);
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const section = readme.slice(readme.indexOf("\n## Examples"));
  const table = section.slice(0, section.indexOf("\n## ", 1));
  const tests = await Promise.all(
    (await filesUnder(new URL("tests/", ROOT), ".ts")).map((path) => Deno.readTextFile(path)),
  );
  assertEquals(examples.filter((file) => !table.includes(`\`${file}\``)), [], "not in README");
  assertEquals(
    examples.filter((file) => !tests.some((text) => text.includes(file.replace(/\.ts$/, "")))),
    [],
    "not run by any test",
  );
});
