"""Read a headed CSV file with pandas, turning every parse problem into one InputFileError.

The header is line 1 and row i of the returned frame is line i + 2: a blank line inside
the data is an error (it would shift that numbering and is never valid data); blank lines
at the very end are ignored.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import pandas as pd

from gaitnode.errors import InputFileError

_BLANK_LINE = re.compile(r"\n[ \t\r]*\n(?=[^\n]*\S)")


def read_text(path: Path, *, what: str = "a header line") -> str:
    """The file as text (UTF-8, optional BOM) without trailing blank lines; `what` names the expected header."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a directory, expected a CSV file") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputFileError(f"{path}: byte offset {e.start}: not UTF-8 text (is this really a CSV file?)") from None
    text = text.rstrip(" \t\r\n")
    if not text:
        raise InputFileError(f"{path}: the file is empty (expected {what})")
    m = _BLANK_LINE.search(text)
    if m:
        raise InputFileError(f"{path}: line {text.count(chr(10), 0, m.start()) + 2} is empty; "
                             f"blank lines are only allowed at the end")
    return text + "\n"


def parse_table(path: Path, text: str, *, dtype=None, keep_default_na: bool = True) -> pd.DataFrame:
    """pandas.read_csv of `text` (from read_text) with line-exact errors prefixed by `path`."""
    try:
        with warnings.catch_warnings():
            # A first data row longer than the header would silently become the index
            # (or lose its last fields): make that an error instead.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(io.StringIO(text), dtype=dtype, keep_default_na=keep_default_na, index_col=False)
    except pd.errors.ParserWarning:
        raise InputFileError(f"{path}: line 2 has more fields than the header on line 1") from None
    except pd.errors.ParserError as e:
        raise InputFileError(f"{path}: {str(e).replace('Error tokenizing data. C error: ', '').strip()}") from None
    except pd.errors.EmptyDataError:
        raise InputFileError(f"{path}: the file is empty") from None
