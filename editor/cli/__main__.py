"""`python -m editor.cli`: the same entry point as the `veil` script."""

import sys

from editor.cli import main

if __name__ == "__main__":
    sys.exit(main())
