"""Name mangling and Python source helpers for the protocol generator."""

from __future__ import annotations

import re

# Attribute names a generated field must not take (they are Model API or would shadow internals).
RESERVED_ATTRS = frozenset({"get", "keys", "to_wire", "from_wire"})

# Python's keywords (the same on 3.10-3.13) and the soft keywords of 3.10/3.11, spelled out rather than
# read from the `keyword` module: its lists follow the running interpreter (3.12 added the soft keyword
# `type`), and the generated names must be the same whichever Python runs the generator.
KEYWORDS = frozenset(
    {
        *("False", "None", "True", "and", "as", "assert", "async", "await", "break", "class"),
        *("continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global"),
        *("if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise"),
        *("return", "try", "while", "with", "yield"),
        *("_", "case", "match"),
    }
)

_CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")
_NON_IDENT = re.compile(r"[^0-9A-Za-z_]+")


def snake(name: str) -> str:
    """``threadId`` -> ``thread_id``; ``HTTPStatus`` -> ``http_status``; ``_meta`` -> ``meta``."""
    text = _NON_IDENT.sub("_", name)
    text = _CAMEL_1.sub(r"\1_\2", text)
    text = _CAMEL_2.sub(r"\1_\2", text)
    text = re.sub(r"_+", "_", text).strip("_").lower()
    if not text:
        text = "field"
    if text[0].isdigit():
        text = "f_" + text
    return text


def py_attr(wire: str) -> str:
    """Python attribute/keyword name of a wire field."""
    name = snake(wire)
    if name in KEYWORDS or name in RESERVED_ATTRS:
        name += "_"
    return name


def method_py_name(method: str) -> str:
    """``thread/list`` -> ``thread_list``; ``fs/readFile`` -> ``fs_read_file``."""
    return "_".join(snake(part) for part in method.split("/"))


def pascal(text: str) -> str:
    """``openai/userVerification`` -> ``OpenaiUserVerification``; ``mcp_tool`` -> ``McpTool``."""
    parts = [p for p in _NON_IDENT.sub(" ", text).replace("_", " ").split(" ") if p]
    out = "".join(p[:1].upper() + p[1:] for p in parts)
    if not out or out[0].isdigit():
        out = "T" + out
    return out


def class_name_from_title(title: str) -> str:
    """Sanitize a schema title into a class name (keeps existing PascalCase)."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title):
        return title[:1].upper() + title[1:]
    return pascal(title)


def py_str(text: str) -> str:
    """A Python string literal (double quotes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


SECTION_MARKERS = frozenset({"NEW APIs", "DEPRECATED APIs below", "NEW NOTIFICATIONS"})


def clean_doc(text: str | None) -> str:
    """Normalize a schema description for use in a docstring."""
    if not text:
        return ""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    lines = [line for line in lines if line.strip() not in SECTION_MARKERS]
    return "\n".join(lines).strip()


def docstring(text: str, indent: str) -> list[str]:
    """Lines of a triple-quoted docstring, escaped; empty list when there is no text."""
    text = text.strip()
    if not text:
        return []
    body = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    lines = body.splitlines()
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    out = [f'{indent}"""{lines[0]}']
    out += [f"{indent}{line}" if line.strip() else "" for line in lines[1:]]
    out.append(f'{indent}"""')
    return out
