"""`python -m tinyapp`: report where and how the job ran, so tests can check what shipped."""

import json
import os
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

CONFIG_DIR = str(Path(__file__).resolve().parent.parent / "conf")


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def main(cfg: DictConfig) -> float:
    if cfg.fail:
        raise SystemExit("asked to fail")
    out = Path(HydraConfig.get().runtime.output_dir)
    score = float(cfg.x) * float(cfg.scale)
    (out / "metrics.json").write_text(json.dumps({"score": score}), encoding="utf-8")
    report = {
        "cwd": os.getcwd(),
        "package_file": __file__,
        "files_in_cwd": sorted(
            str(p.relative_to(os.getcwd())) for p in Path(os.getcwd()).rglob("*") if p.is_file()
        ),
        "backend_var": os.environ.get("HYDRA_AZUREML_LAUNCHER_BACKEND"),
        "greeting_var": os.environ.get("TINYAPP_GREETING"),
        "mlflow_uri": os.environ.get("MLFLOW_TRACKING_URI"),
        "caller_cwd": os.environ.get("HYDRA_AZUREML_LAUNCHER_CALLER_CWD"),
        "mode": str(HydraConfig.get().mode),
        "launcher": HydraConfig.get().runtime.choices.get("hydra/launcher"),
    }
    (out / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return score


if __name__ == "__main__":
    main()
