"""readline over a 100 MiB stream of 80-byte lines fed in 64 KiB chunks,
on CPython's asyncio.StreamReader: prints {"seconds", "mb_per_s", "lines"}."""

import asyncio
import json
import sys
import time

NUMBERS = [a for a in sys.argv[1:] if a.isdigit()]
TOTAL = int(NUMBERS[0]) if NUMBERS else 100 * 1024 * 1024


async def main():
    line = b"a" * 79 + b"\n"
    chunk = line * (65536 // 80)
    reader = asyncio.StreamReader()
    start = time.perf_counter()

    async def feed():
        fed = 0
        while fed < TOTAL:
            reader.feed_data(chunk)
            fed += len(chunk)
            await asyncio.sleep(0)
        reader.feed_eof()

    feeder = asyncio.create_task(feed())
    lines = 0
    total = 0
    while True:
        got = await reader.readline()
        if not got:
            break
        lines += 1
        total += len(got)
    await feeder
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "mb_per_s": total / seconds / 1e6, "lines": lines}))


if "--uvloop" in sys.argv:
    import uvloop

    uvloop.install()
asyncio.run(main())
