"""Report writers: ``report.json`` (the contract in DESIGN.md) and a text summary."""

from formcam.report.json_report import build_report, summary_text, write_json

__all__ = ["build_report", "summary_text", "write_json"]
