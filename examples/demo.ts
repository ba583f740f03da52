/**
 * `deno task demo`: the loop doing real work, in one run and with no setup.
 *
 * 1. The queue example of asyncio's documentation (three workers).
 * 2. Structured concurrency: a TaskGroup whose failing task cancels the rest.
 * 3. Timeouts and cancellation at await points.
 * 4. The TCP echo server and client of asyncio's documentation (protocols).
 *
 * @module
 */
import * as asyncio from "../mod.ts";
import { main as queueWorkers } from "./queue_workers.ts";
import { main as echoServer } from "./tcp_echo_server_protocol.ts";
import { main as echoClient } from "./tcp_echo_client_protocol.ts";

async function taskGroupDemo() {
  console.log("\n== TaskGroup: the first failure cancels the others ==");
  try {
    await new asyncio.TaskGroup().run((tg) => {
      tg.createTask(async () => {
        try {
          await asyncio.sleep(10);
        } catch (e) {
          console.log(`slow task stopped: ${(e as Error).name}`);
          throw e;
        }
      });
      tg.createTask(async () => {
        await asyncio.sleep(0.05);
        throw new Error("the fast task failed");
      });
    });
  } catch (e) {
    const group = e as asyncio.ExceptionGroup;
    console.log(`${group.name}: ${group.exceptions.map((x) => (x as Error).message)}`);
  }
}

async function timeoutDemo() {
  console.log("\n== timeout and waitFor ==");
  const loop = asyncio.getRunningLoop();
  const start = loop.time();
  try {
    await asyncio.waitFor(asyncio.sleep(5), 0.1);
  } catch (e) {
    const took = (loop.time() - start).toFixed(2);
    console.log(`waitFor gave up after ${took} s: ${(e as Error).name}`);
  }
  const value = await asyncio.timeout(1, async (cm) => {
    await asyncio.sleep(0.01);
    return `finished in time (expired: ${cm.expired()})`;
  });
  console.log(value);
}

async function tcpEchoDemo() {
  console.log("\n== TCP echo server and client (protocols) ==");
  const ready = asyncio.getRunningLoop().createFuture<asyncio.Server>();
  const serving = asyncio.createTask(() => echoServer(0, (server) => ready.setResult(server)));
  const server = await ready;
  const [, port] = server.sockets[0].getsockname() as [string, number];
  await echoClient(port);
  serving.cancel(); // serveForever() closes the server when cancelled
  await asyncio.gather(serving, { returnExceptions: true });
}

async function main() {
  console.log("== queue workers (asyncio documentation example) ==");
  await queueWorkers();
  await taskGroupDemo();
  await timeoutDemo();
  await tcpEchoDemo();
}

await asyncio.run(main);
