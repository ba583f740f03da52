// Run by tests/loop/runners_sigint_test.ts, which sends SIGINT once "ready"
// is printed: run() cancels main (its finally runs), then throws
// KeyboardInterrupt, which ends the program with an error.
import { run, sleep } from "../../../mod.ts";

async function main(): Promise<void> {
  try {
    console.log("ready");
    await sleep(3600);
  } finally {
    console.log("finally ran");
  }
}

await run(main);
