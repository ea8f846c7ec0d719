"""Adapters that put the assistant inside other frameworks (each imports its framework on use)."""
