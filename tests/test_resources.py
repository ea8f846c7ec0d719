"""The package as a pip user gets it: a wheel built from the repository, installed (not editable)
into a fresh venv, used from another folder. The seeds and prompt templates come from the package
data; the default index goes to the user's data folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from helpers import DOC_000, ROOT, clean_env

QUESTION = "Quận Hoàn Kiếm bổ nhiệm bao nhiêu Chủ tịch UBND phường?"


def test_in_a_checkout_everything_stays_in_the_checkout():
    from assistant import config, resources

    assert resources.in_checkout()
    assert config.SEEDS_DIR == ROOT / "seeds" and config.PROMPTS_DIR == ROOT / "prompts"
    assert config.DEFAULT_INDEX_DIR == ROOT / "index" and config.DEFAULT_DATA_DIR == ROOT / "data"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv holding only our wheel; the dependencies are reached through a .pth line pointing at the
    test venv's site-packages (so nothing is downloaded), added after the install."""
    root = tmp_path_factory.mktemp("pip_user")
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("assistant", "seeds", "prompts"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    run = dict(check=True, capture_output=True, text=True, timeout=600)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(root / "dist"),
            str(src),
        ],
        **run,
    )
    (wheel,) = (root / "dist").glob("assistant-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], **run)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--force-reinstall",
            "-q",
            str(wheel),
        ],
        **run,
    )
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], **run
        ).stdout.strip()
    )
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    elsewhere, data = root / "elsewhere", root / "user-data"
    elsewhere.mkdir()
    env = {
        k: v
        for k, v in clean_env(XDG_DATA_HOME=str(data), HOME=str(root / "home")).items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    return python, venv / "bin" / "assistant", elsewhere, data, env, site


def test_the_wheel_carries_the_seeds_and_prompts(installed):
    python, _, elsewhere, data, env, site = installed
    script = (
        "import json, assistant; from assistant import config, resources; print(json.dumps({'file': "
        "assistant.__file__, 'checkout': resources.in_checkout(), 'seeds': str(config.SEEDS_DIR), "
        "'prompts': str(config.PROMPTS_DIR), 'index': str(config.DEFAULT_INDEX_DIR)}))"
    )
    proc = subprocess.run([str(python), "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["file"].startswith(str(site)) and info["checkout"] is False
    package = site / "assistant"
    assert Path(info["seeds"]) == package / "_seeds" and Path(info["prompts"]) == package / "_prompts"
    assert sorted(p.name for p in Path(info["seeds"]).iterdir()) == sorted(p.name for p in (ROOT / "seeds").iterdir())
    for template in (ROOT / "prompts").iterdir():
        assert (package / "_prompts" / template.name).read_bytes() == template.read_bytes()
    assert Path(info["index"]) == data / "assistant" / "index"


def test_answer_and_the_command_work_from_another_folder(installed):
    python, command, elsewhere, data, env, _ = installed
    script = f"import json; from assistant import answer; print(json.dumps(answer({QUESTION!r}).to_dict()))"
    proc = subprocess.run(
        [str(python), "-c", script],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["refused"] is False and "16 Chủ tịch" in result["text"]
    assert DOC_000 in [c["doc_id"] for c in result["citations"]]
    assert (data / "assistant" / "index" / "CURRENT").exists()  # the default index, in the user's data folder
    assert not any(elsewhere.iterdir())  # nothing written where it was run
    proc = subprocess.run(
        [str(command), "ask", QUESTION, "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["text"] == result["text"]


def test_an_llm_backend_reads_the_packaged_prompts(installed):
    from llm_servers import ScriptedServer
    from test_api import quoting_model

    python, command, elsewhere, data, env, site = installed
    server = ScriptedServer(quoting_model)
    try:
        llm_env = dict(env, ASSISTANT_LLM_BASE_URL=server.url, ASSISTANT_LLM_API_KEY="sk-pip")
        proc = subprocess.run(
            [str(command), "ask", QUESTION, "--json", "--backend", "openai:scripted"],
            cwd=elsewhere,
            env=llm_env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr
        answer = json.loads(proc.stdout)
        assert answer["backend"] == "openai:scripted" and answer["text"].endswith("[1].") and answer["citations"]
        (request,) = server.chat_requests()
        system = (site / "assistant" / "_prompts" / "answer_system.txt").read_text(encoding="utf-8").strip()
        assert request["messages"][0]["content"].startswith(system.split("{refusal}")[0].strip())
    finally:
        server.close()
