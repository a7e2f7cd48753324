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


def already_exists(path, *, of: int = 1, total: int = 1) -> GaitnodeError:
    """The one message for an output that would be overwritten (no silent data loss)."""
    more = f" ({of} of the {total} outputs do)" if total > 1 else ""
    return GaitnodeError(f"{path}: already exists{more}; pass --force (Python: overwrite=True) to replace it")


def refuse_existing(paths, *, overwrite: bool) -> None:
    """Raise already_exists() for the first of `paths` that exists, unless overwrite is True."""
    if overwrite:
        return
    from pathlib import Path

    paths = [Path(p) for p in paths]
    existing = [p for p in paths if p.exists()]
    if existing:
        raise already_exists(existing[0], of=len(existing), total=len(paths))
