"""Errors whose messages are shown to users as they are, so they are in Vietnamese."""


class AssistantError(Exception):
    """Base class: the message is the user-facing explanation."""


class ConfigError(AssistantError):
    pass


class IngestError(AssistantError):
    pass


class IndexStoreError(AssistantError):
    """The index on disk is missing, broken or incompatible."""


class ModelMismatchError(IndexStoreError):
    pass
