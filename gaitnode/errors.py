"""The one exception family for bad input.

Every module raises a subclass of GaitnodeError with a message a user can act on
(what was wrong, where: file, byte offset, line, column). The CLI turns it into one
line on stderr and a non-zero exit; nothing else should reach the user as a traceback.
"""


class GaitnodeError(Exception):
    """Bad input or an impossible request; the message is shown to the user as is."""

    exit_code = 2


class SessionFormatError(GaitnodeError):
    """A session file is damaged, truncated or not a session file.

    `offset` is the byte offset of the damage, `chunk` the index of the damaged chunk
    (None when the damage is in the file header).
    """

    def __init__(self, message: str, *, path=None, offset: int | None = None, chunk: int | None = None):
        super().__init__(message)
        self.path = path
        self.offset = offset
        self.chunk = chunk


class InputFileError(GaitnodeError):
    """An input file for an importer (CSV, FIT, UCI HAR, events CSV) is malformed."""


class ConfigError(GaitnodeError):
    """A YAML/JSON configuration (protocol schedule, boards.yaml, ...) is invalid."""
