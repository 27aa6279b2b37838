"""Rebuild every model Veil ships from a data folder, by one committed recipe (`make models`).

    make models                          # python -m models.training.recipe --data ../shared/data
    make models DATA=/path/to/data       # your own licensed data (celeba/PERSON/*.jpg, mask-templates/)
    make models INSTALL=1                # ... then copy the build into models/ and models/manifest.json
    python -m models.training.recipe --dry-run            # which stages would run, and why
    python -m models.training.recipe --quick --work /tmp/w  # a tiny run that checks the recipe end to end

Stages, in order (stages.py), each building into its own folder of the work folder (default runs/models/):
subset (quick runs only: a sample of photos) -> detector (the third-party YuNet file, checked against the
manifest, not rebuilt) -> faces (the aligned-face cache) -> segmenter -> inpainter (the texture fine-tune of the
L1-only baseline) -> bank_faces -> bank_build -> bank_refine -> bank_extend (the identity bank, by the three runs
it shipped from) -> facenet (the FaceNet conversion) -> dlib_recognizer (dlib's recognizer as ONNX, from its .dat)
-> recognizers (recognizers.json) -> export (ONNX) -> evaluate -> manifest (work/models/: the built files,
manifest.json with their rows, model_card_tables.md).

A stage runs only when its stamp (the sha256 of its settings and of every file it reads: data, code, earlier
stages' outputs) differs from the one recorded when it last finished, or its outputs changed since (runner.py).
A stage stopped half-way resumes when started again with the same stamp. The full settings (settings.py) are
those the shipped models were made with. By default nothing in models/ is touched: the run ends with the sha256
of every shipped file, built and in models/manifest.json; `--install` copies the build into models/.
"""
