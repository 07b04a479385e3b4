"""Photo pipeline benchmark (issue 4, "Performance"): a 12-megapixel JPEG cleaned and sealed end to end,
and the 50,000 x 50,000 PNG bomb refused. Prints figures and ratios against a baseline measured in the
same run (Pillow decoding the same JPEG and nothing else).

    .venv/bin/python bench/bench_photos.py [--runs 7]

Pass bars: end to end median <= 1 s, peak memory growth <= 250 MB, bomb rejected in <= 50 ms.
Memory is measured in a fresh subprocess: the kernel's peak-RSS mark (VmHWM) is reset just before one
upload and read just after, so imports, earlier runs and the generator's allocations do not count.
"""

import argparse
import io
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MEDIAN_LIMIT_S = 1.0
MEMORY_LIMIT_MB = 250
BOMB_LIMIT_MS = 50


def realistic_jpeg(width: int = 4000, height: int = 3000, quality: int = 92) -> bytes:
    """Smooth gradients plus noise, so it compresses like a real photo (4000 x 3000 is 12 MP, a few MB)."""
    noise = Image.frombytes("RGB", (width // 4, height // 4), os.urandom(width // 4 * height // 4 * 3))
    noise = noise.resize((width, height), Image.Resampling.BILINEAR)
    gradient = Image.merge(
        "RGB",
        [
            Image.linear_gradient("L").resize((width, height)),
            Image.linear_gradient("L").rotate(90).resize((width, height)),
            Image.radial_gradient("L").resize((width, height)),
        ],
    )
    out = io.BytesIO()
    Image.blend(noise, gradient, 0.6).save(out, format="JPEG", quality=quality)
    return out.getvalue()


def png_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (1024 * 1024), 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def make_app(instance: Path):
    os.environ["HERBERT_INSTANCE_PATH"] = str(instance)
    from herbert import create_app
    from herbert.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'bench.db'}"})
    with app.app_context():
        db.create_all()
    return app


def end_to_end(app, person_id: str, data: bytes) -> float:
    """Clean the upload and seal it through the store, as the upload page does."""
    from herbert.extensions import db
    from herbert.models import Person
    from herbert.photos import cleaning
    from herbert.records import store

    started = time.perf_counter()
    with app.app_context():
        cleaned = cleaning.clean_photo(data, "photo.jpg")
        store.add_photo(db.session.get(Person, person_id), cleaned.jpeg, {"kind": "head_and_shoulders"})
    return time.perf_counter() - started


def new_person(app) -> str:
    from herbert.extensions import db
    from herbert.models import User
    from herbert.records import store

    with app.app_context():
        user = User(email="bench@example.com", password_hash="!")  # noqa: S106 (no password: cannot sign in)
        db.session.add(user)
        db.session.commit()
        return store.create_person(user.id)


def memory_child(jpeg_path: str) -> None:
    """In a fresh process: peak RSS growth of one end-to-end upload (after a warm-up of the imports)."""
    data = Path(jpeg_path).read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        person_id = new_person(app)
        end_to_end(app, person_id, _tiny_jpeg())  # warm up imports and codecs first
        before = _reset_peak_rss_kb()
        end_to_end(app, person_id, data)
        after = _peak_rss_kb()
        before_decode = _reset_peak_rss_kb()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
        decode_peak = _peak_rss_kb()
    print(json.dumps({"growth_kb": after - before, "baseline_kb": decode_peak - before_decode}))


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak_rss_kb() -> int:
    """Reset the kernel's high-water mark to the current RSS (Linux: clear_refs 5); returns the current RSS."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def _peak_rss_kb() -> int:
    return _status_kb("VmHWM")


def _tiny_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 20, 30)).save(out, format="JPEG")
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return 0

    from herbert.photos import cleaning

    data = realistic_jpeg()
    bomb = png_bomb()
    print(f"input: 4000 x 3000 JPEG, {len(data) / 1e6:.1f} MB; bomb PNG declaring 50,000 x 50,000 in {len(bomb)} bytes")

    # Baseline: Pillow decoding the same JPEG in full, nothing else.
    baseline = []
    for _ in range(args.runs):
        started = time.perf_counter()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
        baseline.append(time.perf_counter() - started)

    clean_only = []
    for _ in range(args.runs):
        started = time.perf_counter()
        cleaned = cleaning.clean_photo(data)
        clean_only.append(time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        person_id = new_person(app)
        full = [end_to_end(app, person_id, data) for _ in range(args.runs)]

    bomb_times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        try:
            cleaning.clean_photo(bomb)
        except cleaning.PhotoRejected:
            pass
        else:
            raise SystemExit("the PNG bomb was accepted")
        bomb_times.append(time.perf_counter() - started)

    with tempfile.NamedTemporaryFile(suffix=".jpg") as handle:  # a generated test image, not personal data
        handle.write(data)
        handle.flush()
        child = subprocess.run(
            [sys.executable, __file__, "--memory-child", handle.name], capture_output=True, text=True, check=True
        )
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    growth_mb, decode_mb = measured["growth_kb"] / 1024, measured["baseline_kb"] / 1024

    median = statistics.median
    base, clean, e2e, bomb_ms = median(baseline), median(clean_only), median(full), median(bomb_times) * 1000
    print(f"output: {cleaned.width} x {cleaned.height} JPEG, {len(cleaned.jpeg) / 1e3:.0f} kB")
    print(f"baseline  Pillow full decode     median {base * 1000:7.1f} ms")
    print(f"clean     clean_photo            median {clean * 1000:7.1f} ms  ({clean / base:.2f}x baseline)")
    print(
        f"end to end clean + seal + commit median {e2e * 1000:7.1f} ms  ({e2e / base:.2f}x baseline)"
        f"  max {max(full) * 1000:.1f} ms  bar <= {MEDIAN_LIMIT_S * 1000:.0f} ms"
    )
    print(
        f"memory    peak RSS growth        {growth_mb:7.1f} MB  (baseline full decode {decode_mb:.1f} MB,"
        f" {growth_mb / max(decode_mb, 0.1):.2f}x)  bar <= {MEMORY_LIMIT_MB} MB"
    )
    print(
        f"bomb      50,000 x 50,000 PNG    median {bomb_ms:7.2f} ms  max {max(bomb_times) * 1000:.2f} ms"
        f"  bar <= {BOMB_LIMIT_MS} ms"
    )
    ok = e2e <= MEDIAN_LIMIT_S and growth_mb <= MEMORY_LIMIT_MB and max(bomb_times) * 1000 <= BOMB_LIMIT_MS
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
