"""Crash reliability: kill -9 of Odoo workers while queue_job jobs run, on a real server
in prefork mode (--workers=2) with its job runner. See crash_harness.py for the scenario."""

import pytest

from .conftest import _free_port, start_server, stop_server
from .crash_harness import RECOVERY_LIMIT, CrashCycle, check_invariants
from .fake_receiver import FakeReceiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def prefork_server():
    server = start_server("crash", extra_args=["--workers=2", f"--gevent-port={_free_port()}"])
    yield server
    stop_server(server)


def test_kill_9_of_workers_during_jobs_loses_nothing_and_applies_nothing_twice(prefork_server):
    with FakeReceiver() as receiver:
        result = CrashCycle(prefork_server, receiver).run()
    for kill in result["kills"]:
        print(f"{kill.kind}: victim after {kill.waited_s:.1f} s, re-queued after "
              f"{kill.requeued_after_s:.1f} s (limit {RECOVERY_LIMIT} s), final {kill.final_state}")
    print(f"events {len(result['event_ids'])}, outbound {len(result['outbound'])}, "
          f"max job age {result['max_job_age_s']:.1f} s, timings {result['timings']}")
    check_invariants(result)
