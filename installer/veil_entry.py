"""Entry point of the bundled `veil` binary: the same command line as the `veil` console script."""

import sys

from editor.cli import main

if __name__ == "__main__":
    sys.exit(main())
