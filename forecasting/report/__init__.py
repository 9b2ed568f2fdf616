"""The weekly report: page, PDF, workbook and CSVs from a week's results."""

from forecasting.report.publish import publish_week, run_manifest

__all__ = ["publish_week", "run_manifest"]
