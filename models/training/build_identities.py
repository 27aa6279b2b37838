"""Build the identity bank (models/identities/identities.npz) and its build record: the command line of
models/training/shipped_bank, the package that builds it by stage (build, --refine, --extend-group).

    nice -n 10 .venv/bin/python -m models.training.build_identities --cache FACES.npz --out OUT
    nice -n 10 .venv/bin/python -m models.training.build_identities --cache FACES.npz --out OUT --refine

`make models` (models/training/recipe) runs the three runs the shipped bank came from; see shipped_bank's
docstring for what each does.
"""

from __future__ import annotations

import sys

from models.training.identity_bank.select import group_blocks
from models.training.shipped_bank.cli import main
from models.training.shipped_bank.texture_checks import flaw_reasons, texture_flaws
from models.training.shipped_bank.tours import far_tour, host_apart_share, pruned_tour, thinned

__all__ = ["far_tour", "flaw_reasons", "group_blocks", "host_apart_share", "main", "pruned_tour", "texture_flaws",
           "thinned"]

if __name__ == "__main__":
    sys.exit(main())
