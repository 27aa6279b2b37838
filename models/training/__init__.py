"""Training code for Veil's own models (torch; not needed to run the app).

Modules: align (canonical 256x256 face framing), prepare_faces (CelebA -> aligned cache), synth_masks (mask
templates warped onto faces), dataset (deterministic pairs), nets (M-CSAM inpainter, mask segmenter), losses,
checkpoints, train_inpaint / train_segmenter (resumable runs), export_onnx (ONNX + checks + timing),
build_facenet_onnx + facenet_convert (third-party FaceNet graph -> models/facenet.onnx, checked against TensorFlow),
build_dlib_onnx + dlib_dat (dlib's recognizer .dat read in pure Python -> models/dlib_recognizer.onnx, checked
against dlib),
recognizer_thresholds (same-person thresholds of dlib and FaceNet -> models/recognizers.json), vector_cache (the
resumable embedding cache those calibrations share), shipped_bank (the identity bank, by stage; build_identities
is its command line), evaluate and manifest (validation numbers, manifest rows), and recipe: every shipped model
rebuilt by one command (`make models`), stage by stage, each skipped while its inputs are unchanged.
"""
