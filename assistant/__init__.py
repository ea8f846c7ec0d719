"""Vietnamese document question answering with cited passages, offline by default."""

from .answering import Answer, Citation
from .api import Assistant, IndexResult, answer
from .config import Config, load_config
from .errors import AssistantError, ConfigError, IndexStoreError, IngestError, ModelMismatchError
from .retrieval import Passage

__all__ = [
    "Answer", "Assistant", "AssistantError", "Citation", "Config", "ConfigError", "IndexResult", "IndexStoreError",
    "IngestError", "ModelMismatchError", "Passage", "answer", "load_config",
]
