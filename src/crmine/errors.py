"""Errors that reach the user as one line, never as a traceback.

Anything raised as a ``CrmineError`` is bad input or a bad request, not a bug: the CLI
prints its message on stderr and exits non-zero.
"""


class CrmineError(Exception):
    """Base class: the message is a complete, one-line explanation for the user."""


class InputError(CrmineError):
    """A source file cannot be read: missing, empty, undecodable, truncated."""


class MappingError(CrmineError):
    """The columns of a source cannot be mapped onto the canonical table."""


class WorkspaceError(CrmineError):
    """The workspace is missing, not initialised, or holds no usable data."""


class ConfigError(CrmineError):
    """crmine.toml is invalid."""
