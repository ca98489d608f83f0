"""The parts of `make demo` (hack/demo.py): console output, the control plane with GuardMesh installed,
the examples, the protected servers behind their sidecars, and the MCP client that attacks them."""
