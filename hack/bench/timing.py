"""What every micro-benchmark here needs: per-call percentiles, and this process's resident memory."""

import gc
import os
import statistics
import time
from collections.abc import Callable


def timed(call: Callable[[], object], iterations: int, warmup: int = 300) -> tuple[float, float]:
    """Median and 99th percentile of one call, in µs, after `warmup` unmeasured calls; the garbage
    collector is paused while measuring so its pauses land on no single sample."""
    for _ in range(min(warmup, iterations)):
        call()
    samples = []
    gc.disable()
    try:
        for _ in range(iterations):
            start = time.perf_counter_ns()
            call()
            samples.append(time.perf_counter_ns() - start)
    finally:
        gc.enable()
    samples.sort()
    return statistics.median(samples) / 1000, samples[min(len(samples) - 1, int(len(samples) * 0.99))] / 1000


def rss_kib() -> int:
    """Resident memory of this process, in KiB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
