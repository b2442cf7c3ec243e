"""`python -m moonml.data`: the data commands of moonml.cli.data."""

import sys

from moonml.cli.data import main

if __name__ == "__main__":
    sys.exit(main())
