"""Is this a valid answer to that server request? Checked against the pinned binary's answer schemas.

Hand-written; the schemas (``_server_request_schemas``) are generated. Used by the client before it sends
a hook's or policy's answer, and by the rule engine when it compiles a rubric.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._schema_check import check

__all__ = ["validate_answer"]


def validate_answer(method: str, answer: object) -> str | None:
    """Why ``answer`` (a wire dict or a generated model) is not a valid answer to server request
    ``method``; None when it is. A method without a published schema only needs a JSON object."""
    from ._server_request_schemas import DEFINITIONS, RESPONSES

    to_wire = getattr(answer, "to_wire", None)
    if callable(to_wire):
        answer = to_wire()
    if not isinstance(answer, Mapping):
        return f"expected a JSON object, got {type(answer).__name__}"
    schema = RESPONSES.get(method)
    if schema is None:
        return None
    return check(schema, dict(answer), DEFINITIONS)
