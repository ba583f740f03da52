// The entry point of a WorkerPoolExecutor's Worker (a node:worker_threads
// Worker: Deno's own Worker cannot be unref'd, see loop/_worker_pool.ts).
// Each message is a CallRequest; each reply a CallResponse.
import { parentPort } from "node:worker_threads";
import { type CallRequest, WorkerRuntime } from "./_worker_runtime.ts";

const port = parentPort;
if (port !== null) {
  const runtime = new WorkerRuntime();
  const reply = (response: unknown, transferList: Transferable[] | undefined) => {
    // deno-lint-ignore no-explicit-any
    port.postMessage(response, transferList as any);
  };
  port.on("message", (request: CallRequest) => {
    runtime.handle(request, reply);
  });
}
