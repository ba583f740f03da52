/**
 * The "Display the current date with call_later()" example of asyncio's
 * documentation (event loop, examples), ported line by line: a callback
 * prints the current date every second and reschedules itself with
 * `callLater` until 5 seconds have passed, then stops the loop.
 *
 * Run: deno run examples/display_date_call_later.ts [scale]
 *
 * `scale` (1 by default, as in the documentation) multiplies the interval
 * and the duration: `0.1` prints the same five dates 0.1 s apart. Python's
 * `datetime.datetime.now()` is `now()` below, which prints local time in
 * the same format (`2026-12-01 21:50:46.123456`).
 *
 * @module
 */
import * as asyncio from "../mod.ts";

/** The local time as Python's `str(datetime.datetime.now())` writes it. */
function now(): string {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const date = new Date(Math.floor(micros / 1000));
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.` +
    pad(micros % 1_000_000, 6);
}

function displayDate(endTime: number, loop: asyncio.EventLoop, scale: number) {
  console.log(now());
  if ((loop.time() + 1.0 * scale) < endTime) {
    loop.callLater(1 * scale, displayDate, endTime, loop, scale);
  } else {
    loop.stop();
  }
}

export async function main(scale = 1): Promise<void> {
  const loop = asyncio.newEventLoop();

  // Schedule the first call to display_date()
  const endTime = loop.time() + 5.0 * scale;
  loop.callSoon(displayDate, endTime, loop, scale);

  // Blocking call interrupted by loop.stop()
  try {
    await loop.runForever();
  } finally {
    loop.close();
  }
}

if (import.meta.main) {
  const scale = Number(Deno.args[0] ?? 1);
  if (!(scale > 0)) throw new RangeError(`scale must be a positive number, got ${Deno.args[0]}`);
  await main(scale);
}
