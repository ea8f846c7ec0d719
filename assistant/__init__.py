"""Vietnamese document question answering with cited passages, offline by default."""

import os as _os

# Nothing here may call home: model hubs and UI analytics stay off unless the user says otherwise.
for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
}.items():
    _os.environ.setdefault(_key, _value)

# after the defaults above: the libraries read them when imported
from .api import Assistant, IndexResult, answer  # noqa: E402
from .config import Config, load_config  # noqa: E402
from .errors import AssistantError, ConfigError, IndexStoreError, IngestError, ModelMismatchError  # noqa: E402
from .types import Answer, Citation, Passage  # noqa: E402

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "Config",
    "ConfigError",
    "IndexResult",
    "IndexStoreError",
    "IngestError",
    "ModelMismatchError",
    "Passage",
    "answer",
    "load_config",
]
