"""How big the report's pages are at N clinics: index.html and the largest and median clinic page.

Builds the demo network (``--clinics``, 4 years), forecasts it with the seasonal-naive model (page
size does not depend on the model), draws the charts (``--workers`` processes) and writes the
pages with ``write_report``, then prints each size in KiB. The index holds no clinic charts, so it
should grow by a table row per clinic; docs/report.md records the figure at 200 clinics.

Usage: ``.venv/bin/python benchmarks/report_pages.py [--clinics 200] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.report_outputs import demo_report_data  # noqa: E402
from forecasting.report import build_view, write_report  # noqa: E402
from forecasting.report.drawing import chart_pool, draw_charts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinics", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = demo_report_data(root, args.clinics).data
        view = build_view(data)
        with chart_pool(args.workers, 3 * len(view.clinics)) as pool:
            view = draw_charts(view, pool)
        index = write_report(root / "out", view)
        size = index.stat().st_size
        pages = sorted(p.stat().st_size for p in (index.parent / "clinics").glob("*.html"))
    kib = 1024
    print(f"clinics: {args.clinics}  clinic pages: {len(pages)}")
    print(f"index.html: {size / kib:.0f} KiB")
    print(f"clinic page, largest: {pages[-1] / kib:.0f} KiB")
    print(f"clinic page, median: {statistics.median(pages) / kib:.0f} KiB")
    print(f"all pages: {(sum(pages) + size) / kib / kib:.1f} MiB")


if __name__ == "__main__":
    main()
