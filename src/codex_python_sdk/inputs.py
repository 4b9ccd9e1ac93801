"""What a prompt can be: text, images (URL or local file), audio, skills and mentions.

``prompt`` accepts a ``str``, one of these input objects, a ``pathlib.Path`` (a local image), a raw wire
dict (``{"type": "text", ...}``), or a list mixing them. Local paths are made absolute, because the
app-server resolves relative paths against its own working directory, not the caller's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Union

if TYPE_CHECKING:
    from .protocol._base import JsonObject

__all__ = [
    "AudioInput",
    "ImageInput",
    "Input",
    "LocalAudioInput",
    "LocalImageInput",
    "MentionInput",
    "Prompt",
    "SkillInput",
    "TextInput",
    "to_wire_input",
]

ImageDetail = Literal["auto", "low", "high", "original"]


@dataclass(frozen=True)
class TextInput:
    """Plain text."""

    text: str

    def to_wire(self) -> dict[str, Any]:
        """The ``UserInput`` wire dict."""
        return {"type": "text", "text": self.text, "text_elements": []}


@dataclass(frozen=True)
class ImageInput:
    """An image by URL (``https://...`` or a ``data:`` URL)."""

    url: str
    detail: ImageDetail | None = None

    def to_wire(self) -> dict[str, Any]:
        """The ``UserInput`` wire dict."""
        wire: dict[str, Any] = {"type": "image", "url": self.url}
        if self.detail is not None:
            wire["detail"] = self.detail
        return wire


@dataclass(frozen=True)
class LocalImageInput:
    """An image file on this machine."""

    path: str | os.PathLike[str]
    detail: ImageDetail | None = None

    def to_wire(self) -> dict[str, Any]:
        """The ``UserInput`` wire dict (the path made absolute)."""
        wire: dict[str, Any] = {"type": "localImage", "path": os.path.abspath(os.fspath(self.path))}
        if self.detail is not None:
            wire["detail"] = self.detail
        return wire


@dataclass(frozen=True)
class AudioInput:
    """Audio by URL."""

    url: str

    def to_wire(self) -> dict[str, Any]:
        """The ``UserInput`` wire dict."""
        return {"type": "audio", "url": self.url}


@dataclass(frozen=True)
class LocalAudioInput:
    """An audio file on this machine."""

    path: str | os.PathLike[str]

    def to_wire(self) -> dict[str, Any]:
        """The ``UserInput`` wire dict (the path made absolute)."""
        return {"type": "localAudio", "path": os.path.abspath(os.fspath(self.path))}


@dataclass(frozen=True)
class SkillInput:
    """Invoke a skill by name and path."""

    name: str
    path: str

    def to_wire(self) -> dict[str, Any]:
        """The ``UserInput`` wire dict."""
        return {"type": "skill", "name": self.name, "path": self.path}


@dataclass(frozen=True)
class MentionInput:
    """Mention a file or resource by name and path."""

    name: str
    path: str

    def to_wire(self) -> dict[str, Any]:
        """The ``UserInput`` wire dict."""
        return {"type": "mention", "name": self.name, "path": self.path}


Input = TextInput | ImageInput | LocalImageInput | AudioInput | LocalAudioInput | SkillInput | MentionInput
"""Any one prompt input."""
_Part = Union[str, Input, "os.PathLike[str]", "JsonObject"]  # string forward references inside: no "|"
Prompt = Union[_Part, Sequence[_Part]]  # noqa: UP007
"""What ``prompt=`` accepts: text, one input, or a list of them (a raw wire dict is an input too)."""


def _one(part: Any) -> dict[str, Any]:
    if isinstance(part, str):
        return {"type": "text", "text": part, "text_elements": []}
    if isinstance(part, os.PathLike):
        return LocalImageInput(part).to_wire()
    if isinstance(part, Mapping):
        if not isinstance(part.get("type"), str):
            raise TypeError(f"a raw input dict needs a string 'type' key: {part!r}")
        return dict(part)
    to_wire = getattr(part, "to_wire", None)
    if callable(to_wire):
        wire = to_wire()
        if isinstance(wire, dict):
            return wire
    raise TypeError(f"cannot use {type(part).__name__} as prompt input")


def to_wire_input(prompt: Prompt) -> list[dict[str, Any]]:
    """Turn any accepted prompt form into the ``input`` list of ``turn/start``; ``TypeError`` /
    ``ValueError`` (before anything is sent) for anything else."""
    if isinstance(prompt, (str, Mapping, os.PathLike)) or hasattr(prompt, "to_wire"):
        return [_one(prompt)]
    if isinstance(prompt, Iterable):
        parts = [_one(p) for p in prompt]
        if not parts:
            raise ValueError("prompt is empty")
        return parts
    raise TypeError(f"prompt must be text, an input or a list of inputs, got {type(prompt).__name__}")
