"""GuardMesh: a security guard in front of every MCP server."""

__version__ = "0.1.0"
