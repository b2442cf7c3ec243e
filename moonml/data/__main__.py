"""`python -m moonml.data`: data chores outside a training run.

    python -m moonml.data generate --output data [--samples 1000 --noise 0.2 --test-size 0.2 --seed 42]
"""

import argparse
import sys

from moonml.errors import MoonmlError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m moonml.data", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser("generate", help="write train.csv and test.csv made by make_moons")
    generate.add_argument("--output", required=True, help="folder to write train.csv and test.csv to")
    generate.add_argument("--samples", type=int, default=1000, help="train + test rows (default 1000)")
    generate.add_argument("--noise", type=float, default=0.2, help="noise std (default 0.2)")
    generate.add_argument("--test-size", type=float, default=0.2, help="test fraction (default 0.2)")
    generate.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    return parser


def generate(args: argparse.Namespace) -> None:
    from moonml.data.moons import generate_split, write_split

    if args.samples < 4 or not 0 < args.test_size < 1 or args.noise < 0:
        raise MoonmlError("need --samples >= 4, 0 < --test-size < 1 and --noise >= 0")
    split = generate_split(args.samples, args.noise, args.test_size, args.seed)
    for path in write_split(split, args.output):
        print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        {"generate": generate}[args.command](args)
    except MoonmlError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
