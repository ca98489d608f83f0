"""Transports: Streamable HTTP (every revision), legacy HTTP+SSE, stdio. All share `relay`."""
