"""Assembling the sidecar: runtime state, config reload, admin endpoints, servers."""
