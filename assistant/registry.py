"""One way to turn a config string into a backend, for every kind (LLMs, embedders, index stores).

A config string is "name" or "name:argument" ("openai:gpt-4o-mini", "sentence-transformers:/models/x",
"milvus"). Each kind keeps one `Registry`; a backend joins it with `@REGISTRY.register("name")`, which
is all a third-party backend needs to do (docs/architecture.md shows an example)."""

from __future__ import annotations

from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Names (and aliases) of one kind of backend, each with what makes it (a factory, usually)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._primary: dict[str, str] = {}

    def register(self, name: str, *aliases: str) -> Callable[[T], T]:
        def add(entry: T) -> T:
            for key in (name, *aliases):
                self._entries[key.lower()] = entry
                self._primary[key.lower()] = name
            return entry

        return add

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
