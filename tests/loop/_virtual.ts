// Runs a test body on a virtual-time loop, so that timers fire at once and
// in a deterministic order.
import { run, VirtualTimeEventLoop } from "../../mod.ts";

export function runVirtual<T>(main: () => T | PromiseLike<T>): Promise<T> {
  return run(main, { loopFactory: () => new VirtualTimeEventLoop() });
}
