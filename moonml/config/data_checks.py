"""Check a table's `data` settings (data=moons and the user's own) before any file is read."""

from collections import Counter

from omegaconf import DictConfig


def table_problems(data_cfg: DictConfig) -> list[str]:
    """Which files, which columns: every problem, one line each (empty for generated data).

    Table files (data=moons and the user's own) and a registered dataset's tables (data=azureml)
    share the column and test_size settings.
    """
    if data_cfg.source not in ("csv", "azureml"):
        return []
    problems = []
    # data.path, when given, is the table: data=moons's train and test files step aside.
    if (
        data_cfg.source == "csv"
        and data_cfg.path is None
        and None in (data_cfg.train_path, data_cfg.test_path)
    ):
        problems.append(
            "data.train_path / data.test_path: give both files (or data.path: one file, split by "
            "data.test_size)"
        )
    if not 0 < data_cfg.test_size < 1:
        problems.append(f"data.test_size: must be between 0 and 1, got {data_cfg.test_size}")
    features = data_cfg.features
    if features is None:
        return problems
    if not features:
        problems.append("data.features: give at least one column, or null for every column but the label")
    if data_cfg.label in features:
        problems.append(
            f"data.features: lists the label column {data_cfg.label}; a model must not learn from the "
            "answer (drop it from data.features)"
        )
    repeated = sorted(name for name, count in Counter(features).items() if count > 1)
    if repeated:
        problems.append(f"data.features: lists {', '.join(repeated)} more than once")
    return problems
