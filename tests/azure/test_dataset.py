"""The moon dataset on AzureML: register (double at the upload/register calls), data=azureml."""

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from moonml.cli.data import main as data_main
from moonml.data import azureml as azure_dataset
from moonml.data.split import EVERY_COLUMN
from moonml.errors import MoonmlError
from tests.helpers import DATA, SUBSCRIPTION, run_python, scrubbed_env

DATA_CFG = {
    "source": "azureml",
    "name": "moon_dataset",
    "version": None,
    "download_dir": "data/azureml",
    "train_file": "train.csv",
    "test_file": "test.csv",
}
SETTINGS = {"timeout_s": 5}


def copy_data(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("train.csv", "test.csv"):
        shutil.copy(DATA / name, folder / name)
    return folder


@pytest.fixture
def azure_boundary(monkeypatch, offline_workspace, offline_datastore):
    """Real workspace, datastore and FileDataset; doubles only for the calls that leave the
    machine (the workspace service check, the datastore lookup, the upload, the registration)."""
    from azureml.core import Dataset
    from azureml.data import FileDataset

    calls: dict[str, list] = {"upload": [], "register": []}
    monkeypatch.setattr(azure_dataset, "connect", lambda settings: offline_workspace)
    monkeypatch.setattr(offline_workspace, "get_default_datastore", lambda: offline_datastore)

    def upload_directory(src_dir, target, pattern=None, overwrite=False, show_progress=True):
        calls["upload"].append(
            {
                "src_dir": src_dir,
                "target": target,
                "overwrite": overwrite,
                "pattern": pattern,
                "files": sorted(path.name for path in Path(src_dir).rglob("*") if path.is_file()),
            }
        )

    def register(self, workspace, name, description=None, tags=None, create_new_version=False):
        calls["register"].append(
            {"dataset": self, "workspace": workspace, "name": name, "create_new_version": create_new_version}
        )
        return SimpleNamespace(name=name, version=4)

    monkeypatch.setattr(Dataset.File, "upload_directory", staticmethod(upload_directory))
    monkeypatch.setattr(FileDataset, "register", register)
    return calls


def test_register_uploads_the_folder_and_registers_a_new_version(
    azure_boundary, tmp_path, capsys, offline_workspace, offline_datastore
):
    from azureml.data import FileDataset

    folder = copy_data(tmp_path / "data")
    code = data_main(["register", "--name", "moon_dataset", "--path", str(folder)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines() == [
        "registered dataset moon_dataset version 4",
        "datastore path: workspaceblobstore/datasets/moons",
    ]
    [upload] = azure_boundary["upload"]
    assert upload["src_dir"] == str(folder)
    assert upload["target"] == (offline_datastore, "datasets/moons")
    assert upload["overwrite"] is True
    [registration] = azure_boundary["register"]
    assert registration["name"] == "moon_dataset"
    assert registration["create_new_version"] is True
    assert registration["workspace"] is offline_workspace
    # The real FileDataset that was registered points at the uploaded folder.
    assert isinstance(registration["dataset"], FileDataset)
    assert (
        f"azureml://subscriptions/{SUBSCRIPTION}/resourcegroups/moon-rg/workspaces/moon-ws/"
        "datastores/workspaceblobstore/paths/datasets/moons"
    ) in str(registration["dataset"])


def test_register_custom_target(azure_boundary, tmp_path, capsys) -> None:
    folder = copy_data(tmp_path / "csvs")
    code = data_main(["register", "--name", "moons2", "--path", str(folder), "--target", "/datasets/v2/"])
    assert code == 0
    assert azure_boundary["upload"][0]["target"][1] == "datasets/v2"
    assert azure_boundary["register"][0]["name"] == "moons2"
    assert "datastore path: workspaceblobstore/datasets/v2" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda d: None, "no such file or folder"),
        (lambda d: d.mkdir(), "no CSV or Parquet files to upload"),
        (
            lambda d: (d.mkdir(), (d / "train.csv").write_text("a,b\n")),
            "train.csv: the file has a header but no rows",
        ),
        (
            lambda d: (d.mkdir(), (d / "t.parquet").write_text("not parquet")),
            "t.parquet: not a readable Parquet file",
        ),
        (
            lambda d: d.with_suffix(".txt").write_text("a\n1\n") and d.with_suffix(".txt").rename(d),
            "CSV or Parquet",
        ),
    ],
)
def test_register_refuses_bad_folders_before_any_azure_call(
    azure_boundary, tmp_path, capsys, setup, expected
) -> None:
    folder = tmp_path / "data"
    setup(folder)
    assert data_main(["register", "--name", "moon_dataset", "--path", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err
    assert azure_boundary["upload"] == [] and azure_boundary["register"] == []


def breast_cancer_like(rows: int = 30):
    """A table of another problem: 30 numeric features, label `target` (not x1, x2, y)."""
    import numpy as np
    import pandas as pd

    values = np.random.default_rng(0).normal(size=(rows, 30))
    frame = pd.DataFrame(values, columns=[f"mean {i}" for i in range(30)])
    frame["target"] = np.arange(rows) % 2
    return frame


def test_register_a_folder_of_any_table_csv_or_parquet(azure_boundary, tmp_path, capsys) -> None:
    folder = tmp_path / "bc"
    folder.mkdir()
    breast_cancer_like().to_parquet(folder / "train.parquet")
    breast_cancer_like().to_csv(folder / "test.csv", index=False)
    code = data_main(["register", "--name", "bc_dataset", "--path", str(folder)])
    assert code == 0, capsys.readouterr().err
    [upload] = azure_boundary["upload"]
    assert (upload["src_dir"], upload["files"]) == (str(folder), ["test.csv", "train.parquet"])


def test_register_a_single_file(azure_boundary, tmp_path, capsys) -> None:
    table = tmp_path / "churn.parquet"
    breast_cancer_like().to_parquet(table)
    (tmp_path / "unrelated.txt").write_text("not uploaded")
    code = data_main(["register", "--name", "churn_dataset", "--path", str(table)])
    assert code == 0, capsys.readouterr().err
    [upload] = azure_boundary["upload"]
    assert upload["files"] == ["churn.parquet"]  # that file alone, in a folder of its own
    assert not Path(upload["src_dir"]).exists()  # a temporary folder, gone after the upload


def test_the_default_target_follows_the_dataset_name(azure_boundary, tmp_path) -> None:
    """Registering another dataset must not overwrite the tutorial's files on the datastore."""
    folder = copy_data(tmp_path / "data")
    assert data_main(["register", "--name", "churn_dataset", "--path", str(folder)]) == 0
    assert data_main(["register", "--name", "moon_dataset", "--path", str(folder)]) == 0
    targets = [upload["target"][1] for upload in azure_boundary["upload"]]
    assert targets == ["datasets/churn_dataset", "datasets/moons"]  # moons: the tutorial's folder


def test_register_bad_override(tmp_path, capsys) -> None:
    folder = copy_data(tmp_path / "data")
    code = data_main(["register", "--name", "m", "--path", str(folder), "azureml.timeot_s=3"])
    assert code == 1
    assert "bad config override (azureml.timeot_s=3)" in capsys.readouterr().err


# --- data=azureml ------------------------------------------------------------------------------


def test_mounted_input_v2_and_v1_conventions(tmp_path) -> None:
    path = str(tmp_path)
    assert azure_dataset.mounted_input("moon_dataset", {"AZURE_ML_INPUT_moon_dataset": path}) == path
    v1 = {"AZUREML_DATASET_ENVIRONMENT_VARS": "other:mount,moon_dataset:mount", "moon_dataset": path}
    assert azure_dataset.mounted_input("moon_dataset", v1) == path
    # direct mode hands over a dataset id, not a path
    direct = {"AZUREML_DATASET_ENVIRONMENT_VARS": "moon_dataset:direct", "moon_dataset": "id-1"}
    assert azure_dataset.mounted_input("moon_dataset", direct) is None
    assert azure_dataset.mounted_input("moon_dataset", {"moon_dataset": path}) is None
    assert azure_dataset.mounted_input("moon_dataset", {}) is None


def test_mounted_dataset_is_read_and_validated(tmp_path, monkeypatch) -> None:
    from moonml.data.csv import read_split

    mounted = copy_data(tmp_path / "mnt" / "moon_dataset")
    monkeypatch.setenv("AZURE_ML_INPUT_moon_dataset", str(mounted))
    split = azure_dataset.load_azureml_split(DATA_CFG, SETTINGS, EVERY_COLUMN, 42)
    expected = read_split(str(DATA / "train.csv"), str(DATA / "test.csv"))
    assert split.train.equals(expected.train) and split.test.equals(expected.test)
    assert split.fingerprint == expected.fingerprint


def test_mounted_dataset_with_bad_rows_names_the_file(tmp_path, monkeypatch) -> None:
    mounted = copy_data(tmp_path / "mnt")
    (mounted / "test.csv").write_text("x1,x2,y\n0.1,0.2,7\n0.3,0.1,0\n")
    monkeypatch.setenv("AZURE_ML_INPUT_moon_dataset", str(mounted))
    with pytest.raises(
        MoonmlError, match=r"test.csv: class 7 in column y \(data row 1\) is not in the training data"
    ):
        azure_dataset.load_azureml_split(DATA_CFG, SETTINGS, EVERY_COLUMN, 42)


def test_dataset_files_in_a_subfolder_are_found(tmp_path, monkeypatch) -> None:
    mounted = tmp_path / "mnt"
    copy_data(mounted / "moons")
    monkeypatch.setenv("AZURE_ML_INPUT_moon_dataset", str(mounted))
    split = azure_dataset.load_azureml_split(DATA_CFG, SETTINGS, EVERY_COLUMN, 42)
    assert len(split.train) == 800 and len(split.test) == 200


def test_dataset_without_the_file_lists_what_it_has(tmp_path, monkeypatch) -> None:
    mounted = copy_data(tmp_path / "mnt")
    (mounted / "test.csv").rename(mounted / "holdout.csv")
    monkeypatch.setenv("AZURE_ML_INPUT_moon_dataset", str(mounted))
    with pytest.raises(MoonmlError) as caught:
        azure_dataset.load_azureml_split(DATA_CFG, SETTINGS, EVERY_COLUMN, 42)
    assert "has no test.csv (data.test_file); it holds: holdout.csv, train.csv" in str(caught.value)


def test_download_outside_a_job(tmp_path, monkeypatch, offline_workspace) -> None:
    """Double at Dataset.get_by_name / download: they leave the machine."""
    from azureml.core import Dataset

    asked = []

    class Registered:
        version = 3

        def download(self, target_path, overwrite=False):
            asked.append(("download", target_path, overwrite))
            copy_data(Path(target_path))
            return [str(Path(target_path) / "train.csv"), str(Path(target_path) / "test.csv")]

    def get_by_name(workspace, name, version="latest"):
        asked.append(("get_by_name", workspace, name, version))
        return Registered()

    monkeypatch.setattr(azure_dataset, "connect", lambda settings: offline_workspace)
    monkeypatch.setattr(Dataset, "get_by_name", staticmethod(get_by_name))
    cfg = {**DATA_CFG, "version": "3", "download_dir": str(tmp_path / "dl")}
    split = azure_dataset.load_azureml_split(cfg, SETTINGS, EVERY_COLUMN, 42)
    target = str(tmp_path / "dl" / "moon_dataset_v3")
    assert asked == [
        ("get_by_name", offline_workspace, "moon_dataset", 3),
        ("download", target, True),
    ]
    assert len(split.train) == 800


def test_unknown_dataset_says_how_to_register(monkeypatch, offline_workspace) -> None:
    from azureml.core import Dataset
    from azureml.exceptions import UserErrorException

    def get_by_name(workspace, name, version="latest"):
        raise UserErrorException(f"Cannot find dataset registered with name '{name}'")

    monkeypatch.setattr(azure_dataset, "connect", lambda settings: offline_workspace)
    monkeypatch.setattr(Dataset, "get_by_name", staticmethod(get_by_name))
    with pytest.raises(MoonmlError) as caught:
        azure_dataset.load_azureml_split(DATA_CFG, SETTINGS, EVERY_COLUMN, 42)
    assert str(caught.value).startswith(
        "looking up dataset moon_dataset:latest in AzureML workspace 'moon-ws': no dataset "
        "moon_dataset:latest is registered there; register it with "
        "`python -m moonml.data register --name moon_dataset --path data`"
    )


@pytest.mark.parametrize("bad", ["0", "v2", "-1"])
def test_bad_dataset_version(bad) -> None:
    with pytest.raises(MoonmlError, match=rf"data.version='{bad}' is not a positive whole number"):
        azure_dataset.dataset_folder({**DATA_CFG, "version": bad}, SETTINGS)


# --- subprocesses: a real interpreter, real files ----------------------------------------------


@pytest.mark.e2e
def test_mounted_dataset_in_a_job_needs_no_azure_packages(tmp_path, block_imports) -> None:
    """Inside a job the data path is pure file reading: works even with azure blocked."""
    mounted = copy_data(tmp_path / "mnt")
    env = scrubbed_env(AZURE_ML_INPUT_moon_dataset=str(mounted), PYTHONPATH=block_imports("azureml", "azure"))
    code = (
        "import sys\n"
        "from moonml.data.azureml import load_azureml_split\n"
        "from moonml.data.split import EVERY_COLUMN\n"
        f"split = load_azureml_split({DATA_CFG!r}, {{'timeout_s': 5}}, EVERY_COLUMN, 42)\n"
        "print(len(split.train), len(split.test))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('azure', 'azureml')))\n"
    )
    result = run_python(["-c", code], env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["800 200", "[]"]


@pytest.mark.e2e
def test_dataprep_missing_says_so(tmp_path, block_imports) -> None:
    folder = copy_data(tmp_path / "data")
    env = scrubbed_env(
        PYTHONPATH=block_imports("azureml.dataprep"),
        AZUREML_SUBSCRIPTION_ID="s",
        AZUREML_RESOURCE_GROUP="r",
        AZUREML_WORKSPACE_NAME="w",
    )
    result = run_python(
        ["-m", "moonml.data", "register", "--name", "moon_dataset", "--path", str(folder)],
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: AzureML datasets need azureml-dataprep, which is not importable here"
    )
    assert "ships only for x86_64" in result.stderr and "compute instance" in result.stderr
    assert 'pip install -e ".[azure]"' in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.e2e
def test_without_the_azure_extra(tmp_path, block_imports) -> None:
    env = scrubbed_env(
        PYTHONPATH=block_imports("azureml", "azure"),
        AZUREML_SUBSCRIPTION_ID="s",
        AZUREML_RESOURCE_GROUP="r",
        AZUREML_WORKSPACE_NAME="w",
    )
    code = (
        "from moonml.tracking.azureml import azureml_tracking_uri\n"
        "from moonml.errors import MoonmlError\n"
        "try:\n"
        "    azureml_tracking_uri({'timeout_s': 5})\n"
        "except MoonmlError as err:\n"
        "    print(err)\n"
        "from moonml.tracking.azureml_model import download_model\n"
        "try:\n"
        "    download_model({'subscription_id': 's', 'resource_group': 'r',\n"
        "                    'workspace_name': 'w', 'timeout_s': 5}, 'm', 1, 'out')\n"
        "except MoonmlError as err:\n"
        "    print(err)\n"
    )
    result = run_python(["-c", code], env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("tracking=azureml needs azureml-mlflow")
    assert lines[1].startswith("AzureML features need the azure extra")
    assert all(line.endswith('install it with: pip install -e ".[azure]"') for line in lines)


@pytest.mark.e2e
def test_train_with_data_azureml_end_to_end(tmp_path) -> None:
    """`python -m moonml data=azureml` in a job-like environment: AzureML mounted the dataset."""
    import inspect

    from moonml.data.sources import load_split

    if '"azureml"' not in inspect.getsource(load_split):
        pytest.skip("moonml.data.load_split has no data=azureml dispatch yet (lead integrates)")
    mounted = copy_data(tmp_path / "mnt")
    env = scrubbed_env(AZURE_ML_INPUT_moon_dataset=str(mounted))
    result = run_python(
        [
            "-m",
            "moonml",
            "data=azureml",
            "tracking=none",
            f"hydra.run.dir={tmp_path / 'run'}",
            "model.grid={n_estimators:[10]}",
            "model.n_jobs=1",
        ],
        env=env,
        cwd=tmp_path,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "accuracy" in (result.stdout + result.stderr).lower()
    assert not (tmp_path / "data" / "azureml").exists()  # nothing was downloaded


def test_the_job_input_carrying_the_dataset_is_read(tmp_path, monkeypatch) -> None:
    """The launcher attaches data.azureml_inputs; the input whose dataset is data.name is read."""
    mounted = copy_data(tmp_path / "mnt")
    monkeypatch.setenv("AZUREML_DATASET_ENVIRONMENT_VARS", "moon_dataset:mount")
    monkeypatch.setenv("moon_dataset", str(mounted))
    cfg = {
        **DATA_CFG,
        "name": "moons_v2",
        "azureml_inputs": {"moon_dataset": {"dataset": "moons_v2", "version": None, "mode": "mount"}},
    }
    assert azure_dataset.dataset_folder(cfg, SETTINGS) == mounted
