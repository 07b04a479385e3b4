"""Police PDF benchmark (issue 5): a fully filled form with 3 photos.

Prints: median render time through the renderer's worker (target <= 1.5 s), the same final HTML rendered
by WeasyPrint directly in this process (renderer.render_in_process: same options, same data:-only
fetcher, no worker) and the ratio of the two medians (target <= 1.15), the PDF size (target <= 2 MB),
and peak memory of a render (the worker's peak resident set, and the Python heap peak of one in-process
render). The two paths are timed alternately in one run so machine load affects both alike.

Run from the repository root:  .venv/bin/python bench/bench_pdf.py [--runs 15]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from herbert import create_app  # noqa: E402
from herbert.documents import police_form, renderer  # noqa: E402
from herbert.photos.cleaning import clean_photo  # noqa: E402
from tests.support.pdfs import full_document, image_xobjects, reader, sample_jpeg  # noqa: E402


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (from /proc, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    os.environ["HERBERT_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="bench-pdf-")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    photos = [
        (
            {"kind": kind, "taken_on": taken, "caption": caption, "is_primary": number == 1},
            clean_photo(sample_jpeg(1200, 1600, seed=number, grain=0.2)).jpeg,
        )
        for number, (kind, taken, caption) in enumerate(
            [
                ("head_and_shoulders", "2026-02-01", "At home"),
                ("full_length", "2025-12-24", "Christmas"),
                ("outdoor_clothes", "2025-10-03", "Blue anorak"),
            ],
            start=1,
        )
    ]
    meta = {"version": 3, "completed_on": "2026-05-01", "next_review_on": "2026-11-01"}
    document = full_document()

    with app.test_request_context():
        build_times = []
        for _ in range(5):
            started = time.perf_counter()
            html = police_form.police_pdf_html(document, photos, meta=meta)
            build_times.append(time.perf_counter() - started)
        title = police_form.police_pdf_title(meta)

    # Warm both paths (the worker's first render pays its start-up; so does WeasyPrint's first in-process use).
    output = renderer.render_pdf(html, title=title)
    renderer.render_in_process(html, title=title)

    worker_times, direct_times, direct_cpu = [], [], []
    worker_pids = renderer.render_pool().worker_pids()
    worker_cpu_before = sum(cpu_seconds(pid) for pid in worker_pids)
    for _ in range(args.runs):
        started = time.perf_counter()
        output = renderer.render_pdf(html, title=title)
        worker_times.append(time.perf_counter() - started)
        started, cpu_started = time.perf_counter(), time.process_time()
        renderer.render_in_process(html, title=title)
        direct_times.append(time.perf_counter() - started)
        direct_cpu.append(time.process_time() - cpu_started)

    worker_pids = renderer.render_pool().worker_pids()
    worker_cpu = (sum(cpu_seconds(pid) for pid in worker_pids) - worker_cpu_before) / args.runs
    worker_peak = max((peak_rss_kib(pid) for pid in worker_pids), default=0)
    tracemalloc.start()
    renderer.render_in_process(html, title=title)
    _current, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    worker_median = statistics.median(worker_times)
    direct_median = statistics.median(direct_times)
    ratio = worker_median / direct_median
    pages = len(reader(output).pages)
    images = len(image_xobjects(reader(output)))
    photo_bytes = sum(len(jpeg) for _details, jpeg in photos)

    print("Police PDF benchmark: full form, 3 photos")
    print(f"  machine load average (1 min):         {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"  HTML built from the registry:         {statistics.median(build_times) * 1000:.1f} ms median")
    print(f"  HTML size:                            {len(html):,} characters; {pages} pages; {images} images")
    print(f"  photos (cleaned JPEGs):               {photo_bytes / 1024:.0f} KiB in total")
    print(f"  runs:                                 {args.runs} of each, alternating")
    print(f"  render via worker (herbert.pdf):      {worker_median:.3f} s median  (target <= 1.5 s)")
    print(f"  render in-process (WeasyPrint direct): {direct_median:.3f} s median")
    print(f"  overhead ratio worker / direct:       {ratio:.3f}x  (target <= 1.15x)")
    print(f"  CPU time per render, worker / direct: {worker_cpu:.3f} / {statistics.median(direct_cpu):.3f} s")
    print(f"  worker min / max:                     {min(worker_times):.3f} / {max(worker_times):.3f} s")
    print(f"  direct min / max:                     {min(direct_times):.3f} / {max(direct_times):.3f} s")
    print(f"  PDF size:                             {len(output) / 1024 / 1024:.2f} MB  (target <= 2 MB)")
    print(f"  peak memory, worker process (VmHWM):  {worker_peak / 1024:.0f} MiB resident")
    print(f"  peak Python heap of one render:       {heap_peak / 1024 / 1024:.0f} MiB (tracemalloc, in-process)")
    renderer.render_pool().close()


if __name__ == "__main__":
    main()
