"""What ``responses_create(..., output_type=X)`` hands back: :class:`ParsedResponse` (or raises
:class:`OutputValidationError`).

Loaded only when an output type is used: the clients name these classes for type checkers only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from ..errors import CodexAgenticError
from ._response import AgentResponse

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["OutputT", "OutputValidationError", "ParsedResponse"]

OutputT = TypeVar("OutputT")
"""The type of :attr:`ParsedResponse.output`: the ``output_type`` given (or ``JsonValue`` for a schema)."""


@dataclass(init=False, repr=False, kw_only=True)  # kw_only: a field without default after defaults
class ParsedResponse(AgentResponse, Generic[OutputT]):
    """An :class:`AgentResponse` whose answer was parsed and validated into :attr:`output`.

    ``output`` is an instance of the pydantic model or dataclass given as ``output_type``, the dict for a
    ``TypedDict``, or the parsed JSON for a JSON schema dict. ``text`` is the raw answer it was read from.
    ``repaired_from`` is the first turn's response when its answer did not validate and a repair turn on
    the same thread produced this one (``None`` when the first answer was valid); every other field
    describes the turn that produced ``output``.
    """

    output: OutputT
    repaired_from: AgentResponse | None = None

    @classmethod
    def of(
        cls, response: AgentResponse, output: OutputT, repaired_from: AgentResponse | None = None
    ) -> ParsedResponse[OutputT]:
        """``response`` with its parsed ``output`` (the fields are shared, not copied or re-wrapped)."""
        parsed: ParsedResponse[OutputT] = cls.__new__(cls)
        parsed.__dict__.update(vars(response))
        parsed.output = output
        parsed.repaired_from = repaired_from
        return parsed

    def __repr__(self) -> str:
        return "ParsedResponse" + super().__repr__().removeprefix("AgentResponse")


class OutputValidationError(CodexAgenticError):
    """The model's answer did not match ``output_type``, also after one repair turn (or the turn was
    interrupted before a valid answer).

    ``raw_text`` is the last answer as the model wrote it, ``errors`` what was wrong with it (JSON paths
    such as ``$.items[0].price``), ``response`` the last turn's :class:`AgentResponse` and ``responses``
    every turn tried, in order. The thread stays usable.
    """

    def __init__(self, message: str, *, errors: Sequence[str], responses: Sequence[AgentResponse]) -> None:
        super().__init__(message)
        self.errors: list[str] = list(errors)
        self.responses: list[AgentResponse] = list(responses)
        self.response: AgentResponse = self.responses[-1]
        self.raw_text: str = self.response.text
