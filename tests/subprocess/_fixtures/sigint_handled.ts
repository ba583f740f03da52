// Run by tests/loop/runners_sigint_test.ts: a program with its own SIGINT
// handler is left alone by run(), as in Python.
import { getRunningLoop, run } from "../../../mod.ts";

async function main(): Promise<string> {
  const loop = getRunningLoop();
  const interrupted = loop.createFuture<string>();
  loop.addSignalHandler("SIGINT", () => interrupted.setResult("handled SIGINT"));
  console.log("ready");
  return await interrupted;
}

console.log(await run(main));
