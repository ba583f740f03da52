// Every exported value of mod.ts (class, function, constant) has JSDoc with
// an example, which `deno task test --doc` runs; types need a description.
import { assertEquals } from "../deps.ts";

Deno.test("every export of mod.ts has JSDoc, and every value an example", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "mod.ts"],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  const json = JSON.parse(new TextDecoder().decode(stdout));
  const undocumented: string[] = [];
  const withoutExample: string[] = [];
  // deno-lint-ignore no-explicit-any
  for (const symbol of Object.values(json.nodes).flatMap((node: any) => node.symbols) as any[]) {
    // A name exported as a value and a type (ThreadPoolExecutor) counts once.
    const declaration = symbol.declarations.find((d: { kind: string }) =>
      !["interface", "typeAlias"].includes(d.kind)
    ) ?? symbol.declarations[0];
    const jsDoc = declaration.jsDoc ?? {};
    if (!jsDoc.doc && !(jsDoc.tags ?? []).length) {
      undocumented.push(symbol.name);
    }
    if (["interface", "typeAlias"].includes(declaration.kind)) {
      continue;
    }
    const hasExample = (jsDoc.tags ?? []).some((tag: { kind: string }) =>
      tag.kind === "example"
    ) ||
      String(jsDoc.doc ?? "").includes("```");
    if (!hasExample) withoutExample.push(symbol.name);
  }
  assertEquals(undocumented, [], "exports without JSDoc");
  assertEquals(withoutExample, [], "exported values without an @example");
});
