"""The weekly report: page, PDF, workbook and CSVs from a week's results."""

from forecasting.report.accuracy import Archive, load_archive
from forecasting.report.data import ReportData, ReportSettings
from forecasting.report.drawing import chart_pool, draw_charts
from forecasting.report.folders import find_report
from forecasting.report.html import render_clinic_html, render_html, write_report
from forecasting.report.pdf import write_pdf
from forecasting.report.publish import publish_week, report_settings, run_manifest, run_timings
from forecasting.report.safe import neutralise_formulas, neutralise_text
from forecasting.report.view import ClinicView, ReportView, build_view
from forecasting.report.xlsx import write_staffing_xlsx

__all__ = [
    "Archive",
    "ClinicView",
    "ReportData",
    "ReportSettings",
    "ReportView",
    "build_view",
    "chart_pool",
    "draw_charts",
    "find_report",
    "load_archive",
    "neutralise_formulas",
    "neutralise_text",
    "publish_week",
    "render_clinic_html",
    "render_html",
    "report_settings",
    "run_manifest",
    "run_timings",
    "write_pdf",
    "write_report",
    "write_staffing_xlsx",
]
