import json
import shutil
import sys
import types
import warnings
from pathlib import Path

import frictionless
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.figure import Figure
from PIL import Image

import remitest
from remitest import posterior, predictive
from remitest.api import load_run  # remitest.load_run: export.load_run's record, with its methods
from remitest.export import FLOAT_FORMAT, TABLES, RunFolderError, write_run
from remitest.testing import fake_fit

CSVS = [f"{name}.csv" for name in TABLES]


@pytest.fixture(scope="module")
def fit():
    return fake_fit(draws=40)


def _figure(fit):
    figure = Figure(figsize=(2, 1.5))
    ax = figure.subplots()
    ax.plot(fit.years, fit.idata.posterior["workers"].median(("chain", "draw")))
    return figure


def _caption(fit, name):
    return f"Figure {name} – workers abroad (run {fit.run_id})."


@pytest.fixture
def figures(monkeypatch):
    """Stand-in figure registry and captions (as export reads them): two small figures."""
    monkeypatch.setattr(remitest.export, "FIGURES", {"series": _figure, "biases": _figure})
    monkeypatch.setattr(remitest.export, "caption_of", _caption)
    return ("series", "biases")


@pytest.fixture
def run(tmp_path, fit, figures):
    return write_run(fit, tmp_path / "run")


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or "tmp" in p.name)


def test_run_folder_holds_every_file(run, figures):
    names = {p.name for p in run.iterdir()}
    expected = {*CSVS, "datapackage.json", "idata.nc", "ledger.csv", "config.json",
                "report.html"}
    for name in figures:
        expected |= {f"{name}.png", f"{name}.svg", f"{name}.caption.txt"}
    assert names == expected


def test_two_writes_are_byte_identical(tmp_path, fit, figures):
    first, second = write_run(fit, tmp_path / "one"), write_run(fit, tmp_path / "two")
    for path in first.iterdir():
        if path.name != "datapackage.json":
            assert path.read_bytes() == (second / path.name).read_bytes(), path.name
    packages = [json.loads((folder / "datapackage.json").read_text()) for folder in (first, second)]
    for package in packages:
        package.pop("created")
        package["remitest"].pop("created")
    assert packages[0] == packages[1]


def test_csvs_use_newlines_and_fixed_precision(run):
    for name in CSVS:
        data = (run / name).read_bytes()
        assert b"\r" not in data and data.endswith(b"\n")
    assert FLOAT_FORMAT == "%.12g"


def test_draws_are_joint_and_keep_the_identity_exact(run, fit):
    draws = pd.read_csv(run / "draws.csv")
    assert list(draws.columns) == ["chain", "draw", "year", "scope", "workers",
                                   "remittances_usd", "per_worker_usd"]
    assert len(draws) == fit.n_chains * fit.n_draws * len(fit.years) * (1 + len(fit.hosts))
    product = draws["workers"] * draws["per_worker_usd"]
    np.testing.assert_allclose(draws["remittances_usd"], product, rtol=1e-9)
    world = draws[draws["scope"] == "world"].set_index(["chain", "draw", "year"])["workers"]
    expected = fit.idata.posterior["workers"].to_series()
    np.testing.assert_allclose(world.sort_index(), expected.sort_index(), rtol=1e-11)


def test_tables_match_the_posterior_products(run, fit):
    summary = pd.read_csv(run / "summary.csv")
    pd.testing.assert_frame_equal(summary, posterior.summary(fit), check_dtype=False,
                                  rtol=1e-11)
    claims = pd.read_csv(run / "claims.csv", keep_default_na=False, na_values=[""])
    expected = predictive.claims_table(fit, random_seed=predictive.claims_seed(fit))
    np.testing.assert_allclose(claims["pit"], expected["pit"], rtol=1e-11)
    assert list(claims["id"]) == list(expected["id"])
    shares = pd.read_csv(run / "host_shares.csv")
    assert list(shares["host"]) == list(fit.hosts)
    estimators = pd.read_csv(run / "estimators.csv")
    assert set(estimators["parameter"]) == {"estimator_bias", "noise_sd"}


def test_sources_csv_lists_the_sources_the_captions_point_to(run, fit):
    from remitest.captions import sources_table

    sources = pd.read_csv(run / "sources.csv", keep_default_na=False, dtype=str)
    assert list(sources.columns) == ["key", "estimator", "outlet", "title", "date", "address"]
    assert list(sources["key"].astype(int)) == list(range(1, len(fit.ledger) + 1))
    assert list(sources["estimator"]) == list(fit.ledger.to_frame()["estimator"])
    pd.testing.assert_frame_equal(sources.assign(key=sources["key"].astype("int64")),
                                  sources_table(fit.ledger), check_dtype=False)
    package = json.loads((run / "datapackage.json").read_text())
    (resource,) = [r for r in package["resources"] if r["name"] == "sources"]
    assert resource["path"] == "sources.csv" and resource["schema"]["primaryKey"] == ["key"]
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert fields["key"]["type"] == "integer" and fields["address"]["type"] == "string"
    summary = {f["name"]: f for r in package["resources"] if r["name"] == "summary"
               for f in r["schema"]["fields"]}
    assert "no claim" in summary["evidence"]["description"]


def test_datapackage_is_a_valid_frictionless_package(run, fit):
    report = frictionless.validate(str(run / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    text = (run / "datapackage.json").read_text()
    package = json.loads(text)
    assert text == json.dumps(package, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert package["profile"] == "data-package"
    assert [r["path"] for r in package["resources"]] == CSVS
    for resource in package["resources"]:
        assert resource["format"] == "csv" and resource["mediatype"] == "text/csv"
        assert resource["encoding"] == "utf-8" and resource["hash"].startswith("sha256:")
        for field in resource["schema"]["fields"]:
            assert field["type"] in {"integer", "number", "string", "boolean", "date"}
            assert field["description"] and field["description"] != field["name"].replace("_",
                                                                                           " ")
    fields = {r["name"]: {f["name"]: f for f in r["schema"]["fields"]}
              for r in package["resources"]}
    assert fields["draws"]["workers"]["unit"] == "persons"
    assert fields["draws"]["remittances_usd"]["unit"] == "USD per year"
    assert fields["draws"]["per_worker_usd"]["unit"] == "USD per worker per year"
    assert fields["draws"]["year"]["type"] == "integer"
    assert fields["summary"]["median"]["unitByQuantity"]["workers"] == "persons"
    assert fields["estimators"]["post_mean"]["unit"] == "log-ratio"
    assert fields["claims"]["used"]["type"] == "boolean"
    meta = package["remitest"]
    expected = json.loads(json.dumps(fit.metadata(), allow_nan=True).replace("NaN", "null"))
    assert {k: meta[k] for k in expected} == expected
    assert meta["created"] == package["created"] and meta["created"].endswith("Z")
    assert set(meta["files"]) == {p.name for p in run.iterdir()} - {"datapackage.json"}


def test_changed_csv_fails_validation(run):
    path = run / "summary.csv"
    path.write_text(path.read_text().replace("world", "World", 1))
    assert not frictionless.validate(str(run / "datapackage.json")).valid


def test_png_and_svg_carry_the_run_id_and_caption(run, fit):
    with Image.open(run / "series.png") as image:
        assert image.text["Title"] == f"series ({fit.run_id})"
        assert image.text["Description"] == _caption(fit, "series")
        assert fit.ledger.sha256 in image.text["Source"]
        assert image.text["Software"].startswith("remitest")
        assert round(image.info["dpi"][0]) == 300
    svg = (run / "series.svg").read_text()
    assert f"<dc:identifier>{fit.run_id}</dc:identifier>" in svg
    assert "<dc:date>" not in svg
    assert (run / "series.caption.txt").read_text() == _caption(fit, "series") + "\n"


def test_figures_are_closed_after_saving(tmp_path, fit, figures, monkeypatch):
    import matplotlib.pyplot as plt

    created = []

    def pyplot_figure(fit):
        created.append(plt.figure())
        return created[-1]

    monkeypatch.setattr(remitest.export, "FIGURES", {"series": pyplot_figure})
    write_run(fit, tmp_path / "run")
    assert not plt.fignum_exists(created[0].number)


def test_interrupted_write_leaves_earlier_files_intact(tmp_path, fit, figures, monkeypatch):
    folder = write_run(fit, tmp_path / "run", figures=False)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real_to_csv = pd.DataFrame.to_csv
    calls = []

    def crash_on_second_table(self, path, **kwargs):
        calls.append(path)
        if len(calls) == 2:  # summary.csv: write half of it, then fail
            with open(path, "w") as handle:
                handle.write(real_to_csv(self, **kwargs)[:100])
            raise OSError("disk full")
        return real_to_csv(self, path, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", crash_on_second_table)
    with pytest.raises(OSError, match="disk full"):
        write_run(fit, folder, figures=False)
    assert _leftovers(folder) == []
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_interrupted_first_write_leaves_no_partial_file(tmp_path, fit, figures, monkeypatch):
    def crash(self, path, **kwargs):
        with open(path, "wb") as handle:
            handle.write(b"\x89PNG partial")
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(Figure, "savefig", crash)
    folder = tmp_path / "run"
    with pytest.raises(RuntimeError, match="renderer crashed"):
        write_run(fit, folder)
    names = sorted(p.name for p in folder.iterdir())
    assert _leftovers(folder) == []
    assert "series.png" not in names and "datapackage.json" not in names
    assert set(CSVS) <= set(names)  # written completely before the crash
    pd.read_csv(folder / "draws.csv")


def test_rewrite_without_figures_removes_the_old_figures(tmp_path, fit, figures):
    folder = write_run(fit, tmp_path / "run")
    assert (folder / "series.png").exists()
    write_run(fit, folder, figures=False)
    assert not (folder / "series.png").exists() and not (folder / "series.caption.txt").exists()
    assert frictionless.validate(str(folder / "datapackage.json")).valid


def test_load_run_round_trip(run, fit):
    loaded = load_run(run)
    assert loaded.run_id == fit.run_id
    # The PyMC model is rebuilt on demand from the loaded ledger, config and structure.
    assert {v.name for v in loaded.model.deterministics} >= {"workers", "remittances_usd"}
    pd.testing.assert_frame_equal(loaded.summary(), fit.summary())
    assert loaded.ledger.sha256 == fit.ledger.sha256
    assert loaded.config == fit.config and loaded.structure == fit.structure
    assert loaded.idata.posterior["year"].dtype.kind == "i"
    assert list(loaded.idata.posterior["year"].values) == list(fit.years)
    assert (loaded.random_seed, loaded.sampler, loaded.n_draws, loaded.n_chains) == (
        fit.random_seed, fit.sampler, fit.n_draws, fit.n_chains)
    assert loaded.diagnostics.passed == fit.diagnostics.passed
    assert loaded.diagnostics.divergences == fit.diagnostics.divergences
    assert {"r_hat", "ess_bulk", "ess_tail"} <= set(loaded.diagnostics.table.columns)
    attrs = json.loads(loaded.idata.posterior.attrs["remitest_metadata"])
    assert attrs["run_id"] == fit.run_id
    pd.testing.assert_frame_equal(loaded.draws(), fit.draws())


def test_load_run_with_extra_host_and_config(tmp_path):
    frame = remitest.ledger.load_ledger("seeds").to_frame()
    frame.loc[0, "scope"] = "mongolia"
    ledger = remitest.ledger.Ledger.from_frame(frame, hosts=["mongolia"])
    config = remitest.config.ModelConfig(
        hosts=("china", "russia", "mongolia", "rest_of_world"),
        priors=remitest.config.Priors(host_share_concentration={
            "china": 5.0, "russia": 3.5, "mongolia": 0.5, "rest_of_world": 1.0}),
    )
    fit = fake_fit(ledger, config, draws=20, random_seed=7)
    loaded = load_run(write_run(fit, tmp_path / "run", figures=False))
    assert loaded.run_id == fit.run_id and loaded.hosts == fit.hosts
    pd.testing.assert_frame_equal(loaded.summary(), fit.summary())


def test_load_run_rejects_a_changed_file(run):
    path = run / "ledger.csv"
    path.write_text(path.read_text().replace("50000", "50001", 1))
    with pytest.raises(RunFolderError, match="ledger.csv"):
        load_run(run)


def test_load_run_rejects_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(RunFolderError, match="no datapackage.json"):
        load_run(tmp_path)


def test_claims_csv_has_each_claims_key(tmp_path):
    import pandas as pd

    from remitest.export import write_run
    from remitest.testing import fake_fit

    fit = fake_fit(draws=20)
    run = write_run(fit, tmp_path / "run", figures=False)
    claims = pd.read_csv(run / "claims.csv")
    assert list(claims.columns[:2]) == ["id", "key"]
    ledger_ids = list(fit.ledger.to_frame()["id"])
    assert [ledger_ids[k - 1] for k in claims["key"]] == list(claims["id"])


# -- report.html and tables.xlsx --------------------------------------------------------------
def test_report_is_listed_with_its_checksum_and_embeds_the_figures(run, figures):
    import base64
    import hashlib

    listed = json.loads((run / "datapackage.json").read_text())["remitest"]["files"]
    page = (run / "report.html").read_bytes()
    assert listed["report.html"] == hashlib.sha256(page).hexdigest()
    text = page.decode("utf-8")
    for name in figures:
        png = base64.b64encode((run / f"{name}.png").read_bytes()).decode("ascii")
        assert f"data:image/png;base64,{png}" in text
        assert (run / f"{name}.caption.txt").read_text().strip().split(" (run")[0] in text


def test_report_is_written_atomically(tmp_path, fit, figures, monkeypatch):
    import remitest.report_html

    folder = write_run(fit, tmp_path / "run")
    before = (folder / "report.html").read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(remitest.export, "render_report", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_run(fit, folder)
    assert (folder / "report.html").read_bytes() == before
    assert not _leftovers(folder)


def test_excel_workbook_has_a_readme_and_one_sheet_per_csv(tmp_path, fit, figures):
    from openpyxl import load_workbook

    folder = fit.write(tmp_path / "run", figures=False, excel=True)
    book = load_workbook(folder / "tables.xlsx", read_only=True)
    assert book.sheetnames == ["README", *TABLES]
    book.close()
    listed = json.loads((folder / "datapackage.json").read_text())["remitest"]["files"]
    assert "tables.xlsx" in listed
    for name in TABLES:
        from_csv = pd.read_csv(folder / f"{name}.csv")
        from_sheet = pd.read_excel(folder / "tables.xlsx", sheet_name=name)
        pd.testing.assert_frame_equal(from_sheet, from_csv, check_dtype=False, obj=name)


def test_excel_readme_sheet_holds_the_schema_of_every_column(tmp_path, fit, figures):
    folder = write_run(fit, tmp_path / "run", figures=False, excel=True)
    readme = pd.read_excel(folder / "tables.xlsx", sheet_name="README")
    assert list(readme.columns) == ["table", "field", "type", "unit", "description"]
    package = json.loads((folder / "datapackage.json").read_text())
    for resource in package["resources"]:
        rows = readme[readme["table"] == resource["name"]]
        fields = rows.dropna(subset=["field"])
        assert list(fields["field"]) == [f["name"] for f in resource["schema"]["fields"]]
        assert list(fields["type"]) == [f["type"] for f in resource["schema"]["fields"]]
        assert list(fields["unit"].fillna("")) == [f.get("unit", "")
                                                   for f in resource["schema"]["fields"]]
        assert rows["description"].notna().all()
    assert (readme["unit"] == "persons").any()


def test_rewrite_without_excel_removes_the_old_workbook(tmp_path, fit, figures):
    folder = write_run(fit, tmp_path / "run", figures=False, excel=True)
    assert (folder / "tables.xlsx").exists()
    write_run(fit, folder, figures=False)
    assert not (folder / "tables.xlsx").exists()
    assert frictionless.validate(str(folder / "datapackage.json")).valid


def test_excel_leaves_out_a_table_longer_than_a_worksheet(tmp_path, fit, figures, monkeypatch):
    from openpyxl import load_workbook

    import remitest.export

    monkeypatch.setattr(remitest.export, "EXCEL_MAX_ROWS", 100)  # draws.csv has 3,840 rows
    folder = write_run(fit, tmp_path / "run", figures=False, excel=True)
    book = load_workbook(folder / "tables.xlsx", read_only=True)
    assert "draws" not in book.sheetnames and "summary" not in book.sheetnames
    assert "sources" in book.sheetnames
    book.close()
    readme = pd.read_excel(folder / "tables.xlsx", sheet_name="README")
    note = readme.loc[(readme["table"] == "draws") & readme["field"].isna(), "description"]
    assert "read draws.csv" in note.iloc[0]


def test_fit_command_xlsx_writes_the_workbook(tmp_path, monkeypatch, capsys):
    from remitest.cli import main

    stub = types.ModuleType("remitest.sampling")
    stub.fit = lambda ledger, config=None, **options: fake_fit(ledger, config, draws=20)
    monkeypatch.setitem(sys.modules, "remitest.sampling", stub)
    monkeypatch.setattr(remitest, "sampling", stub, raising=False)
    out = tmp_path / "run"
    assert main(["fit", "--ledger", "seeds", "--out", str(out), "--seed", "1", "--no-figures",
                 "--xlsx"]) == 0
    assert (out / "tables.xlsx").is_file() and (out / "report.html").is_file()
    assert "tables.xlsx, " in capsys.readouterr().out
    assert main(["fit", "--ledger", "seeds", "--out", str(out), "--seed", "1",
                 "--no-figures"]) == 0
    assert not (out / "tables.xlsx").exists()  # a rewrite without --xlsx leaves no stale copy


# -- run folders of remitest 0.x (ArviZ 0.x InferenceData) ----------------------------------------
OLD_RUN = Path(__file__).parent / "data" / "run_0.3.0"


def _load_old(folder):
    with warnings.catch_warnings():  # "written by remitest 0.3.0" once the version moves on
        warnings.filterwarnings("ignore", message="run folder .* was written by remitest",
                                category=UserWarning)
        return load_run(folder)


def test_load_run_reads_a_run_folder_of_remitest_0_3():
    # written by remitest 0.3.0 on its own stack (ArviZ 0.23 InferenceData.to_netcdf): see
    # tests/data/README.md
    loaded = _load_old(OLD_RUN)
    assert isinstance(loaded.idata, xr.DataTree)
    assert {"posterior", "sample_stats", "observed_data"} <= set(loaded.idata.children)
    recorded = json.loads((OLD_RUN / "datapackage.json").read_text())["remitest"]
    assert loaded.run_id == recorded["run_id"] and (loaded.n_chains, loaded.n_draws) == (2, 20)
    assert loaded.diagnostics.divergences == recorded["diagnostics"]["divergences"]
    assert loaded.diagnostics.table["r_hat"].max() == pytest.approx(
        recorded["diagnostics"]["max_r_hat"], rel=1e-12)
    # the summary the new stack computes from the old draws is the one 0.3.0 wrote
    written = pd.read_csv(OLD_RUN / "summary.csv")
    ours = loaded.summary()
    keys = ["year", "scope", "quantity"]
    assert ours[keys].astype(str).equals(written[keys].astype(str))
    stats = list(posterior.STAT_COLUMNS)
    np.testing.assert_allclose(ours[stats].to_numpy(float), written[stats].to_numpy(float),
                               rtol=1e-11)


def _record_sha256(folder, name):
    """Record the SHA-256 of the folder's file ``name`` in its datapackage.json, as a run would."""
    import hashlib

    package = json.loads((folder / "datapackage.json").read_text())
    digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    package["remitest"]["files"][name] = digest
    (folder / "datapackage.json").write_text(json.dumps(package))


def _replace_idata(folder, tree):
    """Put ``tree`` in as the folder's idata.nc, with its SHA-256 recorded as a run would."""
    tree.to_netcdf(folder / "idata.nc", engine="h5netcdf")
    _record_sha256(folder, "idata.nc")


def test_load_run_refuses_an_idata_without_a_posterior(tmp_path):
    folder = shutil.copytree(OLD_RUN, tmp_path / "run")
    _replace_idata(folder, xr.DataTree.from_dict({"draws": xr.Dataset({"x": ("i", [1.0])})}))
    with pytest.raises(RunFolderError, match="has no posterior group.*fit the ledger again"):
        _load_old(folder)


def test_load_run_refuses_an_idata_that_is_not_netcdf(tmp_path):
    folder = shutil.copytree(OLD_RUN, tmp_path / "run")
    (folder / "idata.nc").write_text("not netCDF")
    package = json.loads((folder / "datapackage.json").read_text())
    del package["remitest"]["files"]["idata.nc"]
    (folder / "datapackage.json").write_text(json.dumps(package))
    with pytest.raises(RunFolderError, match="not a readable netCDF posterior"):
        _load_old(folder)


def test_a_run_of_0_5_loads_without_the_field_shift(tmp_path):
    """A config.json written before 0.6 has no field_shift_log_sd: the run was fitted without
    the shift, and is read back without it (the default would give its draws readings they do
    not have); a config that names the shift keeps it."""
    from remitest.export import run_config

    old = json.loads(remitest.ModelConfig().to_json())
    del old["priors"]["field_shift_log_sd"]
    assert run_config(json.dumps(old)).priors.field_shift_log_sd == 0.0
    assert run_config(remitest.ModelConfig().to_json()) == remitest.ModelConfig()
    assert _load_old(OLD_RUN).config.priors.field_shift_log_sd == 0.0  # 0.3.0's run
    with pytest.raises(remitest.ConfigError, match="JSON"):
        run_config("{not json")


def test_a_run_folder_of_0_5_predicts_its_claims(tmp_path):
    """A run written by 0.5 (three readings, no field_shift_log_sd in its config.json) loads and
    predicts its claims; with 0.6's default it would be read with six."""
    config = remitest.ModelConfig().replace(priors={"field_shift_log_sd": 0.0})
    folder = write_run(fake_fit(config=config), tmp_path / "run", figures=False)
    written = json.loads((folder / "config.json").read_text())
    del written["priors"]["field_shift_log_sd"]
    (folder / "config.json").write_text(json.dumps(written))
    _record_sha256(folder, "config.json")
    loaded = _load_old(folder)
    assert loaded.config.priors.field_shift_log_sd == 0.0
    assert loaded.idata.posterior.sizes["reading"] == 3
    table = loaded.predict_claims(loaded.ledger)
    assert table["pred_q50"].notna().all()
