"""MCP and JSON-RPC on the wire: parsing, validation, classification, SSE framing. No I/O."""
