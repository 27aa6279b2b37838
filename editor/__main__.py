import multiprocessing
import sys

from editor.cli import main

if __name__ == "__main__":  # the model host child re-imports this module under spawn
    multiprocessing.freeze_support()
    sys.exit(main())
