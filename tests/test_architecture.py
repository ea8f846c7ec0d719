"""The house rules that keep the code walkable: data flows one way (no import cycle anywhere in the
package, lazy imports included), no module imports another's private names, and each backend kind is
resolved by one registry, which a third-party backend joins by registering."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT

PACKAGE = ROOT / "assistant"


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (at any level of the file, so lazy imports count)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    deps.add(full if full in modules else target)
            elif isinstance(node, ast.Import):
                deps.update(alias.name for alias in node.names)
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif not state.get(nxt):
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if not state.get(node):
            visit(node)
    return cycles


def test_no_import_cycle_in_the_package():
    graph = import_graph()
    assert "assistant.index.faiss" in graph and "assistant.index.base" in graph["assistant.index.faiss"]
    assert find_cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_no_module_imports_private_names_of_another():
    offenders = []
    for path in [*PACKAGE.rglob("*.py"), ROOT / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("assistant")):
                offenders += [
                    f"{path.name}: {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    assert offenders == []


def test_stores_share_the_base_steps_and_not_each_others_code():
    graph = import_graph()
    assert "assistant.index.faiss" not in graph["assistant.index.milvus"]
    assert "assistant.index.milvus" not in graph["assistant.index.faiss"]
    assert {"assistant.index.base"} <= graph["assistant.index.milvus"]


def test_a_third_party_store_plugs_in_by_registering(tmp_path):
    """A store registered under a new name is what `[store] backend = "<name>"` builds and answers from.
    Not registered, the name is refused by the configuration."""
    from assistant import Assistant, ConfigError, load_config
    from assistant.index import STORES
    from assistant.index.faiss import FaissBackend

    made = []
    with pytest.raises(ConfigError, match="chọn một trong: faiss, milvus"):
        load_config(overrides={"store.backend": "mine"}, environ={})

    @STORES.register("mine")
    def mine(argument, config):
        made.append(argument)
        return FaissBackend(tmp_path / "mine-index")

    try:
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "a.txt").write_text("Hồ Gươm nằm ở trung tâm quận Hoàn Kiếm.", encoding="utf-8")
        config = load_config(overrides={"store.backend": "mine"}, environ={})  # accepted once registered
        assistant = Assistant(index_dir=tmp_path / "idx", config=config, open_now=False)
        assistant.index([tmp_path / "docs"])
        assert made and made[0] == ""
        assert (tmp_path / "mine-index" / "CURRENT").exists()
        assert assistant.ask("Hồ Gươm nằm ở đâu?").citations
    finally:
        STORES.unregister("mine")
    with pytest.raises(ConfigError, match="chọn một trong: faiss, milvus\\)"):
        load_config(overrides={"store.backend": "mine"}, environ={})


def test_a_third_party_embedder_plugs_in_by_registering():
    from assistant.config import EmbeddingConfig
    from assistant.embeddings import EMBEDDERS, EmbedderKind, get_embedder, model_id_for

    class Constant:
        model_id, dim = "constant-test", 4

        def embed_queries(self, texts):
            return np.ones((len(texts), 4), np.float32) / 2

        embed_passages = embed_queries

    EMBEDDERS.register("constant")(EmbedderKind(lambda argument, config: Constant(), lambda argument: "constant-test"))
    try:
        config = EmbeddingConfig(model="constant:anything")
        assert model_id_for(config) == "constant-test"
        assert isinstance(get_embedder(config), Constant)
    finally:
        EMBEDDERS.unregister("constant")
    assert "constant" not in EMBEDDERS.names()


def test_unknown_names_list_what_is_registered():
    from assistant import ConfigError, load_config
    from assistant.index import backend_for

    config = load_config(None)
    config.store.backend = "cassandra"
    with pytest.raises(ConfigError, match="faiss, milvus"):
        backend_for(config)


# the stages, in the direction data flows; a module may import its own stage and earlier ones only
STAGES = [
    ["assistant.types", "assistant.chunking", "assistant.text", "assistant.errors", "assistant.config"],
    ["assistant.ingest", "assistant.locations", "assistant.embeddings", "assistant.e5_onnx"],
    ["assistant.index", "assistant.index.base", "assistant.index.faiss", "assistant.index.milvus"],
    ["assistant.retrieval"],
    ["assistant.answering", "assistant.generation", "assistant.verification"],
    ["assistant.api"],
    ["assistant.server", "assistant.cli"],
]


def test_data_flows_one_way_and_the_shared_types_are_at_the_bottom():
    graph = import_graph()
    assert graph["assistant.types"] == set()  # Passage, Citation, Answer: importable by every stage
    stage_of = {module: n for n, modules in enumerate(STAGES) for module in modules}
    upward = []
    for module, deps in graph.items():
        here = stage_of.get(module, stage_of.get(module.rsplit(".", 1)[0]))
        for dep in deps:
            there = stage_of.get(dep, stage_of.get(dep.rsplit(".", 1)[0]))
            if here is not None and there is not None and there > here:
                upward.append(f"{module} -> {dep}")
    assert upward == []
    for module in ("assistant.answering.compose", "assistant.generation", "assistant.verification", "assistant.server"):
        assert "assistant.types" in graph[module], module
