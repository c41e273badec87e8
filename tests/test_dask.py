"""The checks' sweeps on a real dask.distributed cluster, and ``remitest check --scheduler``."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

import remitest as rt
from remitest import checks
from remitest.cli import main

TINY = pytest.mark.filterwarnings("ignore::remitest.diagnostics.DiagnosticsWarning")
# Starting a cluster on a busy machine may warn that the scheduler's scratch directory took more
# than a second to create (distributed.core, in this process): a note on speed, not a result.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Creating scratch directories is taking a surprisingly long time:UserWarning"
)


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one thread each (the CI machine has two cores).

    The scheduler's HTTP server takes a free port (":0"): with None it still binds 8787, and a
    second cluster on the machine turns that into a warning, an error here.
    """
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as local:  # fmt: skip
        yield local


@pytest.mark.sampler
@TINY
def test_sweep_on_a_local_cluster_gives_the_serial_table(cluster):
    from distributed import Client

    ledger = rt.load_ledger("seeds")
    configs = dict(list(checks.interpretation_grid().items())[:3])
    options = {"draws": 100, "tune": 200, "random_seed": 5}
    serial = checks.sensitivity(ledger, configs, **options)
    with Client(cluster) as client:
        executor = client.get_executor(pure=False)
        on_cluster = checks.sensitivity(ledger, configs, executor=executor, **options)
        # The workers fitted: the sweep really went through the cluster's processes.
        assert any(client.run(_fitted_structures).values())
    pd.testing.assert_frame_equal(serial.table, on_cluster.table)


def _fitted_structures():
    """On a worker: the model structures this process has compiled (see checks._sweep)."""
    from remitest.checks import _sweep

    return list(_sweep._RECONCILERS)


def test_cli_check_sends_the_sweeps_to_the_scheduler(cluster, monkeypatch, tmp_path, capsys):
    seen = {}

    def fake_run_all(ledger, *, out_dir, config, executor, random_seed, quick, progress):
        seen["power"] = executor.submit(pow, 2, 10).result()  # runs on a worker
        out_dir.mkdir()
        return out_dir

    monkeypatch.setattr(checks, "run_all", fake_run_all)
    address = cluster.scheduler_address
    assert main(["check", "--out", str(tmp_path / "c"), "--scheduler", address]) == 0
    assert seen == {"power": 1024}
    assert f"dask scheduler {address} (2 workers)" in capsys.readouterr().out


def test_cli_check_without_dask_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if absent
    assert main(["check", "--out", str(tmp_path), "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    err = capsys.readouterr().err
    assert "dask.distributed is not installed" in err and "remitest[dask]" in err
    assert not (tmp_path / "report.md").exists()


def test_cli_check_scheduler_and_workers_exclude_each_other(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["check", "--out", str(tmp_path), "--scheduler", "tcp://x:1", "--workers", "2"])
    assert stop.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_cli_check_unreachable_scheduler_is_status_2(monkeypatch, tmp_path, capsys):
    pytest.importorskip("distributed")
    from remitest import cli

    monkeypatch.setattr(cli, "_SCHEDULER_TIMEOUT_S", 0.5)
    # Port 9 (discard) on this machine: nothing listens there.
    assert main(["check", "--out", str(tmp_path), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the dask scheduler" in capsys.readouterr().err
