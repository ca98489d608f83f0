"""Traces, metrics and the audit log. Every attribute and metric name lives in `names`."""
