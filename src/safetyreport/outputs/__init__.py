"""Outputs: workbooks (workbooks, xlsx, layout), briefings and reports (briefing, report, charts), tables for analysts (export)."""
