"""The Python side of bench/executor: the same workloads as workloads.ts,
on CPython's asyncio (or uvloop with --uvloop).

Usage: python3 bench/executor/peer.py WORKLOAD SIZE [REPEATS] [--uvloop]

calls-*: loop.run_in_executor(None, small, i) on the default
ThreadPoolExecutor. cpu-split: the CPU-bound job in 64 chunks on a
ProcessPoolExecutor of 1 process, then of one process per core (threads
would not run Python code in parallel). Runs the workload once untimed,
then REPEATS times (3 by default), and prints one JSON object like
bench/loop/peer.py's; every metric is the best (lowest) over the runs.
"""

import asyncio
import concurrent.futures
import gc
import json
import os
import statistics
import sys
import time

perf = time.perf_counter
USE_UVLOOP = "--uvloop" in sys.argv
if USE_UVLOOP:
    import uvloop

WARM_UP_CALLS = 200
CHUNKS = 64


def new_loop():
    return uvloop.new_event_loop() if USE_UVLOOP else asyncio.new_event_loop()


def run(main):
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(main())


def small(i):
    return i + 1


def calls_sequential(n):
    async def main():
        loop = asyncio.get_running_loop()
        for i in range(WARM_UP_CALLS):
            await loop.run_in_executor(None, small, i)
        t0 = perf()
        total = 0
        for i in range(n):
            total += await loop.run_in_executor(None, small, i)
        seconds = perf() - t0
        assert total == n * (n + 1) // 2
        return {"seconds": seconds, "per_call": seconds / n, "calls_per_s": n / seconds}

    return run(main)


def calls_concurrent(n):
    async def main():
        loop = asyncio.get_running_loop()
        await asyncio.gather(*[loop.run_in_executor(None, small, i) for i in range(WARM_UP_CALLS)])
        t0 = perf()
        results = await asyncio.gather(*[loop.run_in_executor(None, small, i) for i in range(n)])
        seconds = perf() - t0
        assert len(results) == n and results[-1] == n
        return {"seconds": seconds, "per_call": seconds / n, "calls_per_s": n / seconds}

    return run(main)


def cpu_chunk(start, end):
    acc = 0
    for i in range(start, end):
        acc = (acc + (i * i) % 7919) % 2147483647
    return acc


async def cpu_job(pool, n):
    loop = asyncio.get_running_loop()
    step = -(-n // CHUNKS)
    t0 = perf()
    parts = await asyncio.gather(
        *[loop.run_in_executor(pool, cpu_chunk, c * step, min(n, (c + 1) * step)) for c in range(CHUNKS)]
    )
    seconds = perf() - t0
    total = 0
    for p in parts:
        total = (total + p) % 2147483647
    return seconds, total


def cpu_split(n):
    async def main():
        cores = os.cpu_count() or 1
        loop = asyncio.get_running_loop()
        with concurrent.futures.ProcessPoolExecutor(max_workers=1) as one, \
                concurrent.futures.ProcessPoolExecutor(max_workers=cores) as every:
            # Start the processes before timing.
            await loop.run_in_executor(one, cpu_chunk, 0, 1000)
            await asyncio.gather(*[loop.run_in_executor(every, cpu_chunk, 0, 1000) for _ in range(cores)])
            one_core, check1 = await cpu_job(one, n)
            all_cores, check2 = await cpu_job(every, n)
        assert check1 == check2
        return {"seconds": all_cores, "one_core": one_core, "speedup": one_core / all_cores, "cores": cores}

    return run(main)


WORKLOADS = {
    "calls-sequential": calls_sequential,
    "calls-concurrent": calls_concurrent,
    "cpu-split": cpu_split,
}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) < 2 or args[0] not in WORKLOADS:
        print(f"usage: peer.py {{{'|'.join(WORKLOADS)}}} SIZE [REPEATS] [--uvloop]", file=sys.stderr)
        sys.exit(2)
    name, size = args[0], int(float(args[1]))
    repeats = int(args[2]) if len(args) > 2 else 3
    fn = WORKLOADS[name]
    fn(size)  # warm-up
    runs = []
    for _ in range(repeats):
        gc.collect()
        runs.append(fn(size))
    metrics = {key: min(r[key] for r in runs) for key in runs[0]}
    seconds = [r["seconds"] for r in runs]
    impl = f"uvloop {uvloop.__version__}" if USE_UVLOOP else "asyncio"
    print(json.dumps({
        "name": name,
        "size": size,
        "runtime": f"CPython {sys.version.split()[0]} {impl}",
        "seconds": min(seconds),
        "median": statistics.median(seconds),
        "runs": seconds,
        "metrics": metrics,
    }))


if __name__ == "__main__":
    main()
