"""`python -m models.training.recipe` (what `make models` runs): every stage that is out of date, then the
sha256 report; `--install` copies the build into models/."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __doc__ as RECIPE_DOC
from .publish import install, print_report, sha256_report
from .runner import REPO, Context, Runner
from .settings import settings
from .stages import STAGES
from .stamps import RecipeError


def parser() -> argparse.ArgumentParser:
    names = ", ".join(s.name for s in STAGES)
    ap = argparse.ArgumentParser(prog="python -m models.training.recipe", description=RECIPE_DOC.split("\n\n")[0],
                                 epilog=f"stages, in order: {names}")
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data",
                    help="data folder: celeba/ (one folder per person), mask-templates/, models/yunet/")
    ap.add_argument("--work", type=Path, default=REPO / "runs" / "models",
                    help="where every stage builds, resumes and records its stamp (default runs/models)")
    ap.add_argument("--quick", action="store_true",
                    help="a tiny run (a sample of photos, a few steps): checks the recipe, makes no usable model")
    ap.add_argument("--set", dest="changes", action="append", default=[], metavar="STAGE.KNOB=VALUE",
                    help="change one knob of settings.py (repeatable), e.g. segmenter.steps=3000")
    ap.add_argument("--only", metavar="STAGE", help="run only this stage (the others' outputs are used as they are)")
    ap.add_argument("--from", dest="start", metavar="STAGE", help="run this stage and the ones after it")
    ap.add_argument("--force", action="store_true", help="run the selected stages even when up to date")
    ap.add_argument("--dry-run", action="store_true", help="say which stages would run and why; run nothing")
    ap.add_argument("--install", action="store_true",
                    help="copy the built models, the bank's record and the manifest into models/")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.install and (args.quick or args.dry_run):
            raise RecipeError("--install takes a full build: leave out --quick and --dry-run.")
        ctx = Context(args.data.resolve(), args.work.resolve(), settings(args.quick, args.changes))
        if not (args.data / "celeba").is_dir():
            raise RecipeError(f"{args.data} has no celeba/ folder (one folder of photos per person).")
        outcomes = Runner(ctx, STAGES).run(args.only, args.start, args.dry_run, args.force)
        if args.dry_run:
            return 0
        print_report(sha256_report(ctx), ctx.folder("models"))
        if args.install:
            if any(o.action == "not selected" for o in outcomes):
                raise RecipeError("some stages are out of date (--only / --from left them out): not installing.")
            for path in install(ctx):
                print(f"installed {path.relative_to(REPO)}")
            print("models/manifest.json now lists the installed files; the model card's tables of this build are "
                  f"in {ctx.folder('models') / 'model_card_tables.md'}")
    except RecipeError as exc:
        print(f"make models: {exc}", file=sys.stderr)
        return 2
    return 0
