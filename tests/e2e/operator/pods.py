"""Pods of an MCP server for the operator's end-to-end tests."""

from typing import Any


def server_container(image: str, port: int) -> dict[str, Any]:
    """The server's container: its port named `mcp`, and a security context the `restricted` standard admits."""
    return {
        "name": "server",
        "image": image,
        "ports": [{"name": "mcp", "containerPort": port}],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
