/**
 * The queue example of asyncio's documentation, ported line by line: three
 * workers share a queue of sleep times.
 *
 * Run: deno run examples/queue_workers.ts
 *
 * @module
 */
import * as asyncio from "../mod.ts";

async function worker(name: string, queue: asyncio.Queue<number>) {
  while (true) {
    // Get a "work item" out of the queue.
    const sleepFor = await queue.get();

    // Sleep for the "sleepFor" seconds.
    await asyncio.sleep(sleepFor);

    // Notify the queue that the "work item" has been processed.
    queue.taskDone();

    console.log(`${name} has slept for ${sleepFor.toFixed(2)} seconds`);
  }
}

async function main() {
  // Create a queue that we will use to store our "workload".
  const queue = new asyncio.Queue<number>();

  // Generate random timings and put them into the queue.
  let totalSleepTime = 0;
  for (let i = 0; i < 20; i++) {
    const sleepFor = 0.05 + Math.random() * 0.2;
    totalSleepTime += sleepFor;
    queue.putNowait(sleepFor);
  }

  // Create three worker tasks to process the queue concurrently.
  const tasks = [];
  for (let i = 0; i < 3; i++) {
    const task = asyncio.createTask(() => worker(`worker-${i}`, queue));
    tasks.push(task);
  }

  // Wait until the queue is fully processed.
  const loop = asyncio.getRunningLoop();
  const startedAt = loop.time();
  await queue.join();
  const totalSleptFor = loop.time() - startedAt;

  // Cancel our worker tasks.
  for (const task of tasks) {
    task.cancel();
  }
  // Wait until all worker tasks are cancelled.
  await asyncio.gather(...tasks, { returnExceptions: true });

  console.log("====");
  console.log(`3 workers slept in parallel for ${totalSleptFor.toFixed(2)} seconds`);
  console.log(`total expected sleep time: ${totalSleepTime.toFixed(2)} seconds`);
}

if (import.meta.main) {
  await asyncio.run(main);
}

export { main };
