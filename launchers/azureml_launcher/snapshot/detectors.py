"""detect-secrets plugins and a filter for what its own plugins miss, or mistake for a secret.

detect-secrets loads custom plugins and filters from a file path (`file://...` in its settings),
as a module of its own: this file imports detect-secrets and the standard library only. It ships
with projects that vendor the launcher: its kind names, quoted after a secret-sounding word, carry
detect-secrets' own `pragma: allowlist secret` marker.
"""

import re
from collections.abc import Iterator
from typing import Any

from detect_secrets.plugins.base import BasePlugin, RegexBasedDetector
from detect_secrets.util.filetype import FileType, determine_file_type

# `NAME=value` (a shell assignment, an `export`, a Dockerfile ENV, a line of a .txt); the value
# stops at whitespace, quotes and shell syntax, and never starts a variable reference ($X).
_ASSIGNMENT = re.compile(r"(?<![\w$])([A-Za-z_][\w.-]*)\s*=\s*([^\s'\"`$#;&|<>(){}\\,]+)")
_SECRET_NAME = re.compile(r"passw(?:or)?d|secret|token|api_?key|access_?key|private_?key", re.IGNORECASE)
# Names that hold where a secret is, or what it is called, rather than the secret itself.
_REFERENCE_NAME = re.compile(r"_(?:file|path|url|uri|dir|name|env|var|id|type|endpoint)$", re.IGNORECASE)
_MIN_VALUE = 6
# A notebook's embedded image output: one JSON string of base64 on its own line (nbformat's layout).
_NOTEBOOK_IMAGE = re.compile(r'\s*"image/[\w.+-]+"\s*:\s*"[A-Za-z0-9+/=\\n]*",?\s*')


class AzureSasSignatureDetector(RegexBasedDetector):
    """The signature of an Azure Storage shared access signature (a SAS URL or token)."""

    secret_type = "Azure Storage SAS signature"  # pragma: allowlist secret
    denylist = (re.compile(r"[?&;]sig=([A-Za-z0-9%+/=_-]{20,})"),)


class UnquotedSecretKeywordDetector(BasePlugin):
    """`export MLFLOW_TRACKING_PASSWORD=...` in a file detect-secrets' keyword plugin reads only
    with quotes (shell scripts, Dockerfiles, text: its file type OTHER)."""

    secret_type = "Secret Keyword (unquoted)"  # pragma: allowlist secret

    def analyze_string(self, string: str) -> Iterator[str]:
        for name, value in _ASSIGNMENT.findall(string):
            if _SECRET_NAME.search(name) and not _REFERENCE_NAME.search(name) and len(value) >= _MIN_VALUE:
                yield value

    def analyze_line(
        self, filename: str, line: str, line_number: int = 0, context: Any = None, **kwargs: Any
    ) -> set[Any]:
        if determine_file_type(filename) is not FileType.OTHER:  # the keyword plugin's own ground
            return set()
        return super().analyze_line(
            filename=filename, line=line, line_number=line_number, context=context, **kwargs
        )


def is_notebook_image(filename: str, line: str) -> bool:
    """A notebook's plot is base64 of high entropy by nature: not a secret."""
    return filename.endswith(".ipynb") and _NOTEBOOK_IMAGE.fullmatch(line) is not None


PLUGINS = (AzureSasSignatureDetector, UnquotedSecretKeywordDetector)
FILTERS = (is_notebook_image,)
