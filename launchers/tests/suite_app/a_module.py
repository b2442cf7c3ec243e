"""The app of Hydra's LauncherTestSuite (hydra.test_utils.a_module + its configs) as a script.

The suite runs its task functions in-process; a launcher that replays a command needs an app it
can start, so the suite's command points here. Same configs, same job name (`a_module`).
"""

from pathlib import Path

import hydra
import hydra.test_utils

CONFIGS = str(Path(hydra.test_utils.__file__).resolve().parent / "configs")


@hydra.main(version_base=None, config_path=CONFIGS, config_name="compose")
def main(_: object) -> int:
    return 100


if __name__ == "__main__":
    main()
