"""`--ray [ADDRESS]` of the batch commands (`veil anonymize`, `veil unmask` on folders): the same per-photo work
on a Ray cluster (editor/services/ray_executor.py)."""

from __future__ import annotations

import argparse

RAY_HELP = ("run the photos on a Ray cluster: ADDRESS is HOST:PORT, ray://HOST:PORT or auto (the cluster this "
            "machine belongs to); without it, a Ray started on this machine for the run. Inputs and OUTDIR must be "
            "on storage every node mounts at the same path. Needs `pip install veil[cluster]`. With --ray, --jobs N "
            "(N >= 2) caps the number of Ray workers (default: one per CPU of the cluster)")


def ray_address(value: str) -> str:
    from editor.services.ray_executor import looks_like_address

    if looks_like_address(value):
        return value
    raise argparse.ArgumentTypeError(f"'{value}' is not a Ray cluster address (HOST:PORT, ray://HOST:PORT, auto or "
                                     "local); put --ray after the inputs, or write --ray local")


def add_ray_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ray", nargs="?", const="local", default=None, type=ray_address, metavar="ADDRESS",
                   help=RAY_HELP)
