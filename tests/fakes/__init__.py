"""Reusable test doubles (real loopback servers, not mocks)."""
