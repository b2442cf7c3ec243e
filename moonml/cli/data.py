"""`python -m moonml.data`: data chores outside a training run.

python -m moonml.data generate --output data [--samples 1000 --noise 0.2 --test-size 0.2 --seed 42]
    [--force]   (without it, existing train.csv / test.csv are never overwritten)
python -m moonml.data register --name moon_dataset [--path data] [--target datasets/NAME]
    [azureml.KEY=VALUE ...]   (needs the azure extra; workspace settings as for tracking=azureml)
    --path: a CSV or Parquet file, or a folder of them (e.g. train.csv and test.csv)
"""

import argparse

from moonml.cli.outputs import check_output_folder
from moonml.errors import MoonmlError, cli_exit_code

# make_moons settings by their command-line names.
OPTIONS = {"n_samples": "--samples", "noise": "--noise", "test_size": "--test-size", "seed": "--seed"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m moonml.data", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="write train.csv and test.csv made by make_moons")
    generate.add_argument("--output", required=True, help="folder to write train.csv and test.csv to")
    generate.add_argument("--samples", type=int, default=1000, help="train + test rows (default 1000)")
    generate.add_argument("--noise", type=float, default=0.2, help="noise std (default 0.2)")
    generate.add_argument("--test-size", type=float, default=0.2, help="test fraction (default 0.2)")
    generate.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    generate.add_argument(
        "--force", action="store_true", help="overwrite train.csv and test.csv if they exist"
    )
    register = commands.add_parser(
        "register",
        help="upload a table (CSV or Parquet file, or a folder of them) to the AzureML workspace's "
        "default datastore and register it",
    )
    register.add_argument("--name", required=True, help="dataset name, e.g. moon_dataset")
    register.add_argument(
        "--path", default="data", help="CSV or Parquet file, or folder of them, to upload (default data)"
    )
    register.add_argument(
        "--target",
        help="folder on the default datastore (sdk v1; default datasets/NAME; moon_dataset: datasets/moons)",
    )
    register.add_argument(
        "overrides",
        nargs="*",
        metavar="azureml.KEY=VALUE",
        help="config overrides for the workspace, e.g. azureml.config_path=ws/config.json",
    )
    return parser


def register(args: argparse.Namespace) -> None:
    # Imported here: the base install (no azure extra) must run `generate` without them.
    from moonml.azure import v2
    from moonml.azure.settings import load_azureml_settings
    from moonml.data.azureml import default_target, register_dataset

    settings = load_azureml_settings(args.overrides)
    if v2.uses_v2(settings):  # a uri_folder data asset; the SDK picks the upload folder
        dataset = v2.register_data(settings, args.name, args.path)
    else:
        target = default_target(args.name) if args.target is None else args.target
        dataset = register_dataset(settings, name=args.name, path=args.path, target=target)
    print(f"registered dataset {dataset.name} version {dataset.version}")
    print(f"datastore path: {dataset.datastore_path}")


def generate(args: argparse.Namespace) -> None:
    # Imported here: pandas and scikit-learn, which --help does without.
    from moonml.data.moons import SPLIT_FILES, generate_split, setting_problems, write_files, write_split
    from moonml.data.tutorial import tutorial_files

    problems = setting_problems(args.samples, args.noise, args.test_size, args.seed, min_samples=4)
    if problems:
        raise MoonmlError("; ".join(f"{OPTIONS[name]}: {why}" for name, why in problems.items()))
    check_output_folder(args.output, args.force, SPLIT_FILES)
    tutorial = tutorial_files(args.samples, args.noise, args.test_size, args.seed)
    if tutorial is not None:
        for path in write_files(tutorial, args.output):
            print(f"wrote {path} (the tutorial's own file)")
        return
    split = generate_split(args.samples, args.noise, args.test_size, args.seed)
    for path in write_split(split, args.output):
        print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return cli_exit_code(lambda: {"generate": generate, "register": register}[args.command](args))
