"""Builders that turn labelled public corpora into GuardMesh quality samples (see docs/quality.md)."""
