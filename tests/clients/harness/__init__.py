"""Drives real MCP clients (Python SDK, TypeScript SDK, mcp-remote) against a running aether365.

Every client runs the same conversations (`conversations.py`) through a small adapter that
speaks to its library; each conversation prints one PASS or FAIL line.
"""
