"""The final exam of issue 10: `gm-exam` (gm_exam/) and `mcp-servers-exam` (servers.py). See README.md."""
