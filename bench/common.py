"""Shared helpers of the benchmarks: result tables, JSON output, Odoo environment."""

import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine():
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = "?"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpus": os.cpu_count(), "memory_gib": round(mem, 1), "cpu": cpu,
            "python": platform.python_version(), "kernel": platform.release()}


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def table(title, rows, columns):
    print(f"\n{title}")
    widths = [max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=False)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).ljust(w) for c, w in zip(columns, widths, strict=False)))


def _fmt(v):
    if isinstance(v, float):
        return f"{v:,.3f}" if v < 10 else f"{v:,.1f}"
    return "" if v is None else str(v)


def write_json(name, payload):
    RESULTS.mkdir(exist_ok=True)
    payload = dict(payload, machine=machine(), when=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    print(f"\nwritten {path}")
    return path


@contextmanager
def odoo_env(db, conf):
    """An Odoo environment (superuser) on database ``db``, committed on exit."""
    import odoo
    from odoo import SUPERUSER_ID, api

    if not getattr(odoo_env, "configured", False):
        odoo.tools.config.parse_config(["-c", conf, "-d", db, "--log-level=warn"])
        odoo_env.configured = True
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        cr.commit()


def timed(fn, repeat=5):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return {"best_s": min(samples), "median_s": statistics.median(samples)}


def rss_mib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def memory_mib(pids):
    """{pid: {"rss": VmRSS, "anon": RssAnon, "pss": Pss}} in MiB. Summing RSS over forked
    workers counts the pages they share with the master (copy-on-write) once per worker;
    PSS splits shared pages between their processes, RssAnon is each one's own heap."""
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                status = {l.split(":")[0]: int(l.split()[1]) for l in f if l.startswith(("VmRSS", "RssAnon"))}
            with open(f"/proc/{pid}/smaps_rollup") as f:
                pss = next(int(l.split()[1]) for l in f if l.startswith("Pss:"))
        except (OSError, StopIteration, ValueError):
            continue
        out[pid] = {"rss": status.get("VmRSS", 0) / 1024, "anon": status.get("RssAnon", 0) / 1024,
                    "pss": pss / 1024}
    return out


def child_pids(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def py_spy(pid, output, idle=False):
    """Sample process ``pid`` and its children with py-spy (pip install py-spy) until
    :func:`stop_py_spy`; collapsed stacks (flamegraph input) go to ``output``. With
    ``idle``, waiting threads are sampled too (wall time: where a job waits on SQL)."""
    exe = shutil.which("py-spy", path=Path(sys.executable).parent) or shutil.which("py-spy")
    if not exe:
        raise SystemExit("--profile needs py-spy: pip install py-spy")
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [exe, "record", "--subprocesses", "--nonblocking", "--format", "raw", "--rate", "50",
         *(["--idle"] if idle else []), "--pid", str(pid), "--output", str(output)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_py_spy(proc):
    if proc:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
