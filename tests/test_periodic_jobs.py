"""The periodic job runner, with a fake clock."""

from __future__ import annotations

from systemprompt_analytics.jobs.periodic import PeriodicJob, PeriodicJobs


def test_jobs_run_on_their_interval_and_failures_do_not_stop_others() -> None:
    now = [0.0]
    calls: list[str] = []

    def broken() -> None:
        calls.append("broken")
        raise RuntimeError("database away")

    jobs = PeriodicJobs(
        [
            PeriodicJob("hourly", 3600, lambda: calls.append("hourly")),
            PeriodicJob("broken", 60, broken),
        ],
        clock=lambda: now[0],
    )
    assert jobs.run_due() == 2  # both run at start
    now[0] = 59
    assert jobs.run_due() == 0
    now[0] = 60
    assert jobs.run_due() == 1  # only the 60 s job
    now[0] = 3600
    assert jobs.run_due() == 2
    assert calls == ["hourly", "broken", "broken", "hourly", "broken"]
    hourly, failing = jobs.jobs
    assert (hourly.runs, hourly.failures) == (2, 0)
    assert (failing.runs, failing.failures) == (0, 3)


def test_thread_starts_runs_and_stops() -> None:
    ran: list[int] = []
    jobs = PeriodicJobs([PeriodicJob("once", 3600, lambda: ran.append(1))]).start()
    for _ in range(100):
        if ran:
            break
        __import__("time").sleep(0.02)
    jobs.close()
    assert ran == [1]
