"""The Python side of bench/loop: the same workloads as workloads.ts, on
CPython's asyncio (or on uvloop with --uvloop).

Usage: python3 bench/loop/peer.py WORKLOAD SIZE [REPEATS] [--uvloop]

Runs the workload once untimed (the warm-up, which also measures memory),
then REPEATS times (3 by default), and prints one JSON object:
{name, size, runtime, seconds (best), median, runs, metrics, peak_mem_bytes?,
peak_mem_kind?}. Every metric is the best (lowest) over the timed runs.
"""

import asyncio
import gc
import json
import resource
import statistics
import sys
import time
import tracemalloc

perf = time.perf_counter
USE_UVLOOP = "--uvloop" in sys.argv
if USE_UVLOOP:
    import uvloop


def new_loop():
    return uvloop.new_event_loop() if USE_UVLOOP else asyncio.new_event_loop()


def run(main):
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(main())


def maxrss_bytes():
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def rss_bytes():
    """The current resident set size (Linux: /proc/self/statm)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except OSError:
        return maxrss_bytes()


# ---- 1. call_soon ------------------------------------------------------------


def callsoon_chain(n):
    """Each callback schedules the next: n loop iterations of one callback."""
    loop = new_loop()
    state = {"count": 0, "start": 0.0, "end": 0.0}

    def step():
        state["count"] += 1
        if state["count"] < n:
            loop.call_soon(step)
        else:
            state["end"] = perf()
            loop.stop()

    def begin():
        state["start"] = perf()
        step()

    loop.call_soon(begin)
    loop.run_forever()
    loop.close()
    assert state["count"] == n
    return {"seconds": state["end"] - state["start"]}


def callsoon_burst(n):
    """n callbacks scheduled at once, then run in one iteration."""
    loop = new_loop()
    state = {"count": 0, "start": 0.0, "end": 0.0}

    def cb():
        state["count"] += 1
        if state["count"] == n:
            state["end"] = perf()
            loop.stop()

    def begin():
        state["start"] = perf()
        call_soon = loop.call_soon
        for _ in range(n):
            call_soon(cb)

    loop.call_soon(begin)
    loop.run_forever()
    loop.close()
    assert state["count"] == n
    return {"seconds": state["end"] - state["start"]}


# ---- 2. call_later -----------------------------------------------------------

SPREAD = 0.1  # seconds: the delays are within [0, SPREAD)


def timers(n):
    """n timers with pseudo-random delays within SPREAD, every odd one
    cancelled. `seconds` is the scheduling + cancelling time; the run until
    the last live timer fired is reported apart (wall and CPU time), as its
    wall time is mostly the wait."""
    loop = new_loop()
    live = n - n // 2
    state = {"fired": 0}
    phases = {}

    def cb():
        state["fired"] += 1
        if state["fired"] == live:
            state["end"] = perf()
            state["end_cpu"] = time.process_time()
            state["end_loop"] = loop.time()
            loop.stop()

    def begin():
        # The same Park-Miller sequence as workloads.ts: identical delays.
        rng = 12345
        handles = [None] * n
        call_later = loop.call_later
        t0 = perf()
        for i in range(n):
            rng = rng * 48271 % 2147483647
            handles[i] = call_later(rng / 2147483647 * SPREAD, cb)
        t1 = perf()
        for i in range(1, n, 2):
            handles[i].cancel()
        t2 = perf()
        state.update(start=t2, start_cpu=time.process_time())
        # uvloop's handles have no when() (and delays under 1 ms become
        # call_soon): no lateness there.
        if not USE_UVLOOP:
            state["last_when"] = max(handles[i].when() for i in range(0, n, 2))
        phases.update(schedule=t1 - t0, cancel=t2 - t1)

    loop.call_soon(begin)
    loop.run_forever()
    loop.close()
    assert state["fired"] == live
    result = {
        "seconds": phases["schedule"] + phases["cancel"],
        "schedule": phases["schedule"],
        "cancel": phases["cancel"],
        "run_wall": state["end"] - state["start"],
        "run_cpu": state["end_cpu"] - state["start_cpu"],
    }
    if "last_when" in state:
        result["lateness"] = state["end_loop"] - state["last_when"]
    return result


# ---- 3. tasks + gather ---------------------------------------------------------


def gather(n):
    """n tasks (await sleep(0); return i) created and gathered."""

    async def work(i):
        await asyncio.sleep(0)
        return i

    async def main():
        t0 = perf()
        results = await asyncio.gather(*[work(i) for i in range(n)])
        t1 = perf()
        assert len(results) == n and results[-1] == n - 1
        return t1 - t0

    return {"seconds": run(main)}


# ---- 4. Queue ------------------------------------------------------------------

PRODUCERS = 4
CONSUMERS = 4
QUEUE_MAXSIZE = 1000


def queue(n):
    """n items through a Queue(maxsize=1000), 4 producers, 4 consumers."""

    async def main():
        q = asyncio.Queue(QUEUE_MAXSIZE)
        per = n // PRODUCERS
        received = [0]

        async def producer(p):
            base = p * per
            for i in range(base, base + per):
                await q.put(i)

        async def consumer():
            count = 0
            while True:
                item = await q.get()
                q.task_done()
                if item is None:
                    break
                count += 1
            received[0] += count

        t0 = perf()
        consumers = [asyncio.ensure_future(consumer()) for _ in range(CONSUMERS)]
        await asyncio.gather(*[producer(p) for p in range(PRODUCERS)])
        for _ in range(CONSUMERS):
            await q.put(None)
        await q.join()
        await asyncio.gather(*consumers)
        t1 = perf()
        assert received[0] == per * PRODUCERS
        return t1 - t0

    return {"seconds": run(main)}


# ---- 5. Lock -------------------------------------------------------------------

LOCK_TASKS = 4


def lock(n):
    """n acquire/release pairs among 4 tasks; each holds the lock across a
    sleep(0), so the others wait and every release hands the lock off."""

    async def main():
        lk = asyncio.Lock()
        per = n // LOCK_TASKS
        state = {"inside": 0, "handoffs": 0, "last": -1}

        async def worker(w):
            for _ in range(per):
                await lk.acquire()
                try:
                    if state["last"] != w:
                        state["handoffs"] += 1
                        state["last"] = w
                    state["inside"] += 1
                    await asyncio.sleep(0)
                finally:
                    lk.release()

        t0 = perf()
        await asyncio.gather(*[worker(w) for w in range(LOCK_TASKS)])
        t1 = perf()
        assert state["inside"] == per * LOCK_TASKS
        return {"seconds": t1 - t0, "handoffs": state["handoffs"]}

    return run(main)


WORKLOADS = {
    "callsoon-chain": callsoon_chain,
    "callsoon-burst": callsoon_burst,
    "timers": timers,
    "gather": gather,
    "queue": queue,
    "lock": lock,
}

# Workloads whose warm-up also measures memory.
MEMORY = {"gather"}


def measure_memory(fn, size):
    """Peak RSS growth (ru_maxrss after the run minus the RSS before it) in
    a plain run, then the tracemalloc peak in a second, traced run."""
    gc.collect()
    before = rss_bytes()
    fn(size)
    rss_growth = maxrss_bytes() - before
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn(size)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"peak_rss_growth_bytes": rss_growth, "peak_alloc_bytes": traced_peak}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) < 2 or args[0] not in WORKLOADS:
        print(f"usage: peer.py {{{'|'.join(WORKLOADS)}}} SIZE [REPEATS] [--uvloop]", file=sys.stderr)
        sys.exit(2)
    name, size = args[0], int(float(args[1]))
    repeats = int(args[2]) if len(args) > 2 else 3
    fn = WORKLOADS[name]

    memory = {}
    if name in MEMORY:
        memory = measure_memory(fn, size)  # doubles as the warm-up
    else:
        fn(size)  # warm-up
    runs = []
    for _ in range(repeats):
        gc.collect()
        result = fn(size)
        runs.append(result if isinstance(result, dict) else {"seconds": result})

    metrics = {key: min(r[key] for r in runs) for key in runs[0]}
    metrics.update(memory)
    seconds = [r["seconds"] for r in runs]
    impl = f"uvloop {uvloop.__version__}" if USE_UVLOOP else "asyncio"
    out = {
        "name": name,
        "size": size,
        "runtime": f"CPython {sys.version.split()[0]} {impl}",
        "seconds": min(seconds),
        "median": statistics.median(seconds),
        "runs": seconds,
        "metrics": metrics,
    }
    if memory:
        out["peak_mem_bytes"] = memory["peak_rss_growth_bytes"]
        out["peak_mem_kind"] = "peak RSS (getrusage ru_maxrss) - RSS at the start of the run"
        out["peak_alloc_bytes"] = memory["peak_alloc_bytes"]
        out["peak_alloc_kind"] = "tracemalloc peak (separate traced run)"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
