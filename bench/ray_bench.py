"""Archives on Ray: photos per second for `--jobs 1`, `--jobs 2` and `--ray` on the same cores, Ray's own cost per
photo, and the driver-side costs that bound a cluster (signing and audit, the report writer), for the throughput
model in README.md ("Archives on a Ray cluster").

    .venv/bin/python bench/ray_bench.py              # about 6 minutes on 2 busy cores
    .venv/bin/python bench/ray_bench.py --quick      # 3 photos, small counts: checks the bench itself

Each executor runs `veil anonymize`'s batch on the same photos (the public-domain astronaut portrait, 512 x 512,
one face, shifted so no two are alike), sealed for a keyholder's public key, in a fresh process (models load once
per process or Ray worker, as in real use). Two rates are printed: over the whole run (start-up included) and in
the steady state (between the first and the last photo finished). `--ray` starts a local Ray with one worker per
core. Keys live in a throw-away GNOME Keyring on a private D-Bus session, as in the tests: the bench re-runs itself
inside one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from report import load_average, median  # noqa: E402

EXECUTORS = ("jobs 1", "jobs 2", "ray")
INNER = "VEIL_RAY_BENCH_KEYRING"


# -- a throw-away keyring ----------------------------------------------------------------------------------------------
def in_throwaway_keyring(argv: list[str]) -> int:
    """Re-run this script on a private D-Bus session with an unlocked GNOME Keyring and a temp HOME."""
    home = tempfile.mkdtemp(prefix="veil-bench-home-")
    try:
        run = os.path.join(home, "run")
        os.makedirs(run, mode=0o700)
        env = {**os.environ, "HOME": home, "XDG_DATA_HOME": f"{home}/.local/share", "XDG_RUNTIME_DIR": run,
               "XDG_CONFIG_HOME": f"{home}/.config", INNER: "1", "VEIL_DATA_DIR": f"{home}/veil-data"}
        inner = ('eval "$(printf veil-bench | gnome-keyring-daemon --unlock --components=secrets)"; '
                 'export GNOME_KEYRING_CONTROL; exec "$0" "$@"')
        return subprocess.call(["dbus-run-session", "--", "bash", "-c", inner, sys.executable, *argv], env=env)
    finally:
        shutil.rmtree(home, ignore_errors=True)


# -- photos ----------------------------------------------------------------------------------------------------------
def make_photos(folder: Path, count: int) -> Path:
    import numpy as np

    from editor.core import image_io

    portrait = image_io.load_image(BENCH.parent / "tests" / "fixtures" / "astronaut.png").pixels
    folder.mkdir(parents=True)
    for i in range(count):
        image_io.save_image(folder / f"p{i:03d}.png", np.ascontiguousarray(np.roll(portrait, 6 * i, axis=1)))
    return folder


# -- one executor, in a fresh process ----------------------------------------------------------------------------------
def run_one(executor: str, photos: Path, out: Path) -> dict:
    from editor.services.anonymize_batch import anonymize_paths

    finished: list[float] = []
    start = time.perf_counter()
    batch = anonymize_paths([photos], out, None, recipients=["Bench keyholder"], seed=1,
                            jobs=2 if executor == "jobs 2" else 1, ray="local" if executor == "ray" else None,
                            on_file=lambda report, done, total: finished.append(time.perf_counter()))
    total = time.perf_counter() - start
    n = len(batch.files)
    steady = (n - 1) / (finished[-1] - finished[0]) if n > 1 and finished[-1] > finished[0] else None
    return {"executor": executor, "photos": n, "seconds": total, "photos_per_s": n / total,
            "steady_photos_per_s": steady, "first_photo_s": finished[0] - start,
            "anonymized": batch.summary()["anonymized"]}


# -- Ray's own cost per photo ------------------------------------------------------------------------------------------
def trivial_photo(source: Path, output: Path, options, driver=None):
    """Per-photo work that does nothing but read the source and write the output (and, when the batch seals,
    one signing round trip to the driver): what is left of a photo's time is Ray's."""
    from editor.core.atomic import atomic_write_bytes
    from editor.services.photo_batch import PhotoReport
    from editor.vault.sealed_payload import signed_message

    data = source.read_bytes()
    if driver is not None:
        driver.signer.sign(signed_message(data[:64], data[-64:]))
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(output, data)
    return PhotoReport(str(source), str(output), "done")


def ray_overhead(photos: Path, out: Path) -> dict:
    """Seconds per photo of the trivial work run here in a loop, and on one Ray worker (plain, and with a signing
    round trip), steady state; the difference is what Ray adds to every photo (a worker waits that long between
    photos, and the driver spends part of it)."""
    from editor.services.photo_batch import BatchKind, run_batch
    from editor.services.ray_executor import DriverServices, RayExecutor
    from editor.vault.signing import LocalSigner, new_signing_key

    class NoAudit:
        def append(self, *args, **kwargs) -> None:
            pass

    kind = BatchKind("bench-report.json", ("done",), (), settings={}, count=lambda entries: {"files": len(entries)})
    rows = {}
    for name, executor in (("local loop", None), ("ray", RayExecutor("local", workers=1)),
                           ("ray + signing", RayExecutor("local", workers=1, driver=DriverServices(
                               LocalSigner(new_signing_key(), "bench"), NoAudit())))):
        finished: list[float] = []
        run_batch([photos], out / name.replace(" ", "-"), kind, trivial_photo, lambda s, d: None,
                  executor=executor, on_file=lambda report, done, total: finished.append(time.perf_counter()))
        rows[name] = (finished[-1] - finished[0]) / (len(finished) - 1)
    return {"seconds_per_photo": rows, "ray_overhead_s": rows["ray"] - rows["local loop"],
            "signing_round_trip_s": rows["ray + signing"] - rows["ray"]}


# -- what the driver does for every photo --------------------------------------------------------------------------------
def driver_costs(entry_counts: list[int]) -> dict:
    """The driver's share of each photo: sign (Ed25519), two audit entries (each fsynced), and the report, which is
    rewritten whole after every photo (so its cost grows with the photos already in it)."""
    from editor.services.photo_batch import write_report
    from editor.vault.audit import AuditLog
    from editor.vault.signing import LocalSigner, new_signing_key

    signer = LocalSigner(new_signing_key(), "bench")
    message = b"x" * 88
    sign = median([_time(lambda: signer.sign(message)) for _ in range(200)])
    folder = Path(tempfile.mkdtemp(prefix="veil-bench-driver-"))
    try:
        audit = AuditLog(folder)
        audit_s = median([_time(lambda: audit.append("seal", file_sha256="0" * 64, key_id="1" * 32, faces=[1]))
                          for _ in range(40)])
        entry = {"source": "/archive/2019/event/IMG_0001.jpg", "output": "/anon/2019/event/IMG_0001.jpg",
                 "status": "anonymized", "message": "", "output_sha256": "a" * 64, "source_sha256": "b" * 64,
                 "faces": 3, "anonymized": 3, "flagged": 0, "failed": 0,
                 "details": [{"face": i, "seed": 1, "status": "anonymized", "method": "synthesis",
                              "identity": "id-0042", "region": [10, 10, 90, 110], "verification": None,
                              "reasons": []} for i in range(3)]}
        report = {}
        for n in entry_counts:
            entries = {f"/archive/{i:08d}.jpg": entry for i in range(n)}
            report[n] = median([_time(lambda: write_report(folder / "r.json", {"seed": 1}, entries, {}))
                                for _ in range(3)])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"sign_s": sign, "audit_entry_s": audit_s, "report_write_s": report}


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# -- main ------------------------------------------------------------------------------------------------------------
def child(args: argparse.Namespace) -> None:
    """One measurement in this fresh process, as JSON on stdout."""
    if args.child == "overhead":
        result = ray_overhead(Path(args.photos), Path(args.out))
    else:
        result = run_one(args.child, Path(args.photos), Path(args.out))
    print(json.dumps(result))


def measure(args: argparse.Namespace) -> dict:
    from editor.services.key_service import KeyService

    KeyService().create_key_pair("Bench keyholder")
    work = Path(tempfile.mkdtemp(prefix="veil-ray-bench-"))
    try:
        photos = make_photos(work / "photos", args.photos)
        copies = make_photos(work / "copies", args.trivial)
        results: dict = {"load_before": load_average(), "cores": os.cpu_count(), "photos": args.photos}

        def fresh(what: str, source: Path) -> dict:
            out = work / f"out-{what.replace(' ', '-')}"
            proc = subprocess.run([sys.executable, __file__, "--child", what, "--photos", str(source),
                                   "--out", str(out)], capture_output=True, text=True, timeout=1800)
            if proc.returncode != 0:
                raise SystemExit(f"{what} failed:\n{proc.stderr[-3000:]}")
            return json.loads(proc.stdout.strip().splitlines()[-1])

        results["runs"] = [fresh(name, photos) for name in EXECUTORS]
        results["overhead"] = fresh("overhead", copies)
        results["driver"] = driver_costs([1000, 10000] if args.quick else [1000, 10000, 100000])
        results["load_after"] = load_average()
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


def show(r: dict) -> None:
    print(f"Archives on Ray: {r['photos']} photos (512 x 512, one face), {r['cores']} cores; load average "
          f"{r['load_before']} before, {r['load_after']} after")
    print("| executor | whole run | photos/s (whole run) | photos/s (steady) | first photo after |")
    print("| --- | --- | --- | --- | --- |")
    base = next(x for x in r["runs"] if x["executor"] == "jobs 1")
    for x in r["runs"]:
        steady = f"{x['steady_photos_per_s']:.3f}" if x["steady_photos_per_s"] else "n/a"
        print(f"| `--{x['executor']}` | {x['seconds']:.1f} s | {x['photos_per_s']:.3f} "
              f"({x['photos_per_s'] / base['photos_per_s']:.2f}x jobs 1) | {steady} | {x['first_photo_s']:.1f} s |")
    if base["steady_photos_per_s"]:
        print(f"start-up of a process (imports, models) = first photo - one steady photo: "
              f"{base['first_photo_s'] - 1 / base['steady_photos_per_s']:.1f} s")
    ray_run = next(x for x in r["runs"] if x["executor"] == "ray")
    two = next(x for x in r["runs"] if x["executor"] == "jobs 2")
    if ray_run["steady_photos_per_s"] and two["steady_photos_per_s"]:
        print(f"steady rate, --ray / --jobs 2: {ray_run['steady_photos_per_s'] / two['steady_photos_per_s']:.2f}")
    o = r["overhead"]
    per = o["seconds_per_photo"]
    print(f"trivial photo (read + atomic write), seconds per photo: local loop {per['local loop'] * 1000:.1f} ms, "
          f"one Ray worker {per['ray'] * 1000:.1f} ms, with a signing round trip "
          f"{per['ray + signing'] * 1000:.1f} ms")
    print(f"Ray's cost per photo on a worker: {o['ray_overhead_s'] * 1000:.1f} ms; signing round trip: "
          f"{o['signing_round_trip_s'] * 1000:.1f} ms")
    d = r["driver"]
    print(f"driver per photo: Ed25519 signature {d['sign_s'] * 1e6:.0f} us, one audit entry (fsynced) "
          f"{d['audit_entry_s'] * 1000:.2f} ms")
    for n, seconds in d["report_write_s"].items():
        print(f"report rewrite with {int(n):,} entries: {seconds * 1000:.0f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 photos and small counts: checks the bench itself")
    parser.add_argument("--json", help="also write the numbers here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--photos", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0
    if not os.environ.get(INNER):
        return in_throwaway_keyring(sys.argv)
    args.photos, args.trivial = (3, 6) if args.quick else (12, 40)
    results = measure(args)
    show(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
