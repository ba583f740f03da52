// Run by subprocess_test.ts with some permissions missing: tries to start
// `true` with and without stderr: STDOUT and prints what happened as JSON.
import { run } from "../../../mod.ts";
import { createSubprocessExec, PIPE, STDOUT } from "../../../subprocess/subprocess.ts";

const results: unknown[] = [];
await run(async () => {
  for (const options of [{}, { stdout: PIPE, stderr: STDOUT }]) {
    try {
      const proc = await createSubprocessExec("true", options);
      await proc.communicate();
      results.push("ran");
    } catch (error) {
      results.push({
        notCapable: error instanceof Deno.errors.NotCapable,
        message: (error as Error).message,
      });
    }
  }
});
console.log(JSON.stringify(results));
