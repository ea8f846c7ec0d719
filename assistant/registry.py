"""One way to turn a config string into a backend, for every kind (LLMs, embedders, index stores).

A config string is "name" or "name:argument" ("openai:gpt-4o-mini", "sentence-transformers:/models/x",
"milvus"). Each kind keeps one `Registry`; a backend joins it with `@REGISTRY.register("name")`, which
is all a third-party backend needs to do (docs/architecture.md shows an example)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Names (and aliases) of one kind of backend, each with what makes it (a factory, usually)."""

    def __init__(self, kind: str, known: list[str] | None = None):
        """`known`, if given, is a list kept up to date with the registered names (the configuration
        checks values against it)."""
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._primary: dict[str, str] = {}
        self._known = known

    def register(self, name: str, *aliases: str) -> Callable[[T], T]:
        def add(entry: T) -> T:
            for key in (name, *aliases):
                self._entries[key.lower()] = entry
                self._primary[key.lower()] = name
                if self._known is not None and key not in self._known:
                    self._known.append(key)
            return entry

        return add

    def unregister(self, name: str) -> None:
        """Remove a name and its aliases (a plugin that is unloaded, a test that cleans up)."""
        primary = self._primary.get(name.lower())
        for key in [k for k, p in self._primary.items() if p == primary]:
            del self._entries[key], self._primary[key]
            if self._known is not None:
                self._known[:] = [k for k in self._known if k.lower() != key]

    def names(self) -> list[str]:
        """The primary names, in the order they were registered."""
        return list(dict.fromkeys(self._primary.values()))

    def resolve(self, spec: str) -> tuple[str, T, str] | None:
        """(primary name, entry, argument) for "name" or "name:argument"; None if no such name."""
        name, _, argument = spec.strip().partition(":")
        key = name.strip().lower()
        if key not in self._entries:
            return None
        return self._primary[key], self._entries[key], argument.strip()
