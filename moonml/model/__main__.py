"""`python -m moonml.model`: the registry commands of moonml.cli.model."""

import sys

from moonml.cli.model import main

if __name__ == "__main__":
    sys.exit(main())
