"""The model card's measured tables (models/MODEL_CARD.md), written from a build's own numbers."""

from __future__ import annotations


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def segmenter_table(report: dict) -> list[str]:
    row = report.get("segmenter")
    if not row:
        return []
    return ["| IoU mean | IoU median | faces with IoU >= 0.90 | faces |", "| --- | --- | --- | --- |",
            f"| {row['iou_mean']:.3f} | {row['iou_median']:.3f} | {row['share_iou_ge_0.9']:.1%} | {row['faces']} |"]


def inpainter_table(report: dict) -> list[str]:
    names = {"masked": "the masked photo, untouched", "telea": "OpenCV Telea", "fsr_fast": "OpenCV xphoto FSR (fast)",
             "mcsam_l1": "M-CSAM L1-only (step 6,201)", "mcsam": "**M-CSAM with texture losses (this build)**",
             "original": "the original, unmasked"}
    lines = ["| | PSNR dB | SSIM | L1 | texture | LPIPS (VGG) | hole PSNR dB | top-1 dlib | top-1 FaceNet | faces |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for key, label in names.items():
        row = report.get(key)
        if row is None:
            continue
        cell = lambda k, f: f.format(row[k]) if k in row else ""
        top1 = row.get("top1", {})
        lines.append(f"| {label} | {cell('psnr', '{:.2f}')} | {cell('ssim', '{:.3f}')} | {cell('l1', '{:.4f}')} | "
                     f"{cell('texture', '{:.2f}')} | {cell('lpips_vgg', '{:.3f}')} | {cell('hole_psnr', '{:.2f}')} | "
                     f"{_pct(top1.get('dlib'))} | {_pct(top1.get('facenet'))} | {row.get('faces', '')} |")
    return lines


def recognizer_table(recognizers: dict) -> list[str]:
    lines = ["| recognizer | threshold | train TPR | train FPR | train bal. acc. | val. TPR | val. FPR "
             "| val. bal. acc. |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, label in (("dlib", "dlib"), ("facenet", "FaceNet")):
        r = recognizers["recognizers"][name]
        rows = [(label, r["threshold"], r["train"], r.get("validation", {}))]
        if name == "dlib" and "train_at_published_0.6" in r:
            rows.append(("dlib at its published 0.6", 0.6, r["train_at_published_0.6"],
                         r.get("validation_at_published_0.6", {})))
        for text, threshold, train, val in rows:
            cells = [f"{d[k]:.4f}" if k in d else "" for d in (train, val)
                     for k in ("tpr", "fpr", "balanced_accuracy")]
            lines.append(f"| {text} | {threshold} | " + " | ".join(cells) + " |")
    return lines


def bank_table(record: dict) -> list[str]:
    lines = ["| group | identities | tour neighbours >= 0.6 apart (min) | (mean) | training faces per group |",
             "| --- | --- | --- | --- | --- |"]
    tour = record.get("tour_on_training_hosts", {})
    for row in tour.get("neighbours_apart_share", []):
        lines.append(f"| {row['group']} | {row['identities']} | {row['min']:.1%} | {row['mean']:.1%} | "
                     f"{tour.get('hosts_per_group', '')} |")
    lines.append("")
    judged = record.get("source_check", {}).get("recognizers", {})
    if judged:
        lines += ["Source check (every photo of each source person, on grey): "
                  + ", ".join(f"{name} at least {row['required']} (cut {row['cut_on_grey']}, balanced accuracy "
                              f"{row['balanced_accuracy']}; passed {record.get('passed_by', {}).get(name)} "
                              "candidates)" for name, row in judged.items()) + ".", ""]
    lines.append(f"Candidates {record.get('candidates')} ({record.get('rejected_too_close')} too close to a source "
                 f"person), {record.get('shipped')} identities shipped; extensions: "
                 + ", ".join(f"group {e['group']} +{len(e['added'])}" for e in record.get("extensions", [])) + ".")
    return lines


def card_tables(evaluation: dict, recognizers: dict, bank_record: dict) -> str:
    sections = [("Face-mask segmenter (validation faces, synthetic masks)", segmenter_table(evaluation)),
                ("Face inpainter (validation faces, synthetic masks)", inpainter_table(evaluation)),
                ("Identity judges: thresholds (recognizers.json)", recognizer_table(recognizers)),
                ("Identity bank (build_record.json)", bank_table(bank_record))]
    out = ["# Model card tables of this build", "",
           "Written by the recipe (models/training/recipe) from this build's evaluation; the prose around the "
           "tables in models/MODEL_CARD.md says what they mean."]
    for title, lines in sections:
        if lines:
            out += ["", f"## {title}", ""] + lines
    return "\n".join(out) + "\n"
