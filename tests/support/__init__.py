"""Test support code: locating and running the real components tests use (see ``peers``)."""
