"""``PolicyRubric``: the seed's rubric format, checked completely when it is built.

A rubric is immutable: its rule lists become tuples and its dicts read-only views, so the module-level
:data:`DEFAULT_POLICY_RUBRIC` cannot be changed by accident for every later engine. Every rule is
compiled when the rubric is made (unknown keys, bad regular expressions, bad decisions, bad priorities
fail then, naming the rule), so nothing about a rubric can go wrong while a request waits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import CodexAgenticError
from ._rules import (
    FAIL_CLOSED,
    RUBRIC_KINDS,
    CompiledRule,
    Decision,
    RuleError,
    compile_decision,
    compile_when,
)

__all__ = ["DEFAULT_POLICY_RUBRIC", "PolicyRubric", "PolicyRubricError", "to_rubric"]

MODES = ("permissive", "balanced", "strict")
RULE_FIELDS = {kind: f"{kind}_rules" for kind in RUBRIC_KINDS}
_RULE_KEYS = frozenset({"name", "priority", "when", "decision", "description"})
_AUDIT_KEYS = frozenset({"enabled", "path", "include_params"})
DEFAULT_PRIORITY = 1000


class PolicyRubricError(CodexAgenticError, ValueError):
    """A rubric or rule that is not valid (raised when the rubric or engine is built)."""


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class PolicyRubric:
    """What a policy engine decides by: rules per request kind, defaults, audit, and the judge's rubric.

    * ``*_rules``: lists of ``{"name", "priority", "when": {...}, "decision"}``; lower ``priority`` runs
      first (default 1000, ties keep list order); the first rule whose every ``when`` condition holds
      decides. A rule without ``when`` matches every request of its kind.
    * ``defaults``: the decision per kind when no rule matches; kinds left out stay fail-closed.
    * ``audit``: ``{"enabled": True, "path": "audit.jsonl", "include_params": False}`` (or just a path)
      appends one JSON line per decision.
    * ``system_rubric`` and ``mode`` (``permissive`` / ``balanced`` / ``strict``) instruct the LLM judge
      (:class:`LlmRubricPolicyEngine`); ``use_llm_judge=True`` makes :func:`build_policy_engine_from_rubric`
      build one.

    See ``docs/policy.md`` for every condition and decision.
    """

    system_rubric: str = ""
    mode: str = "balanced"
    command_rules: Sequence[Mapping[str, Any]] = ()
    file_change_rules: Sequence[Mapping[str, Any]] = ()
    permissions_rules: Sequence[Mapping[str, Any]] = ()
    tool_input_rules: Sequence[Mapping[str, Any]] = ()
    mcp_elicitation_rules: Sequence[Mapping[str, Any]] = ()
    tool_call_rules: Sequence[Mapping[str, Any]] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    audit: Mapping[str, Any] | str | None = None
    use_llm_judge: bool = False
    _compiled: Mapping[str, tuple[CompiledRule, ...]] = field(init=False, repr=False, compare=False)
    _defaults: Mapping[str, Decision] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.system_rubric, str):
            raise PolicyRubricError(f"system_rubric must be a string, got {self.system_rubric!r}")
        if self.mode not in MODES:
            raise PolicyRubricError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        compiled: dict[str, tuple[CompiledRule, ...]] = {}
        for kind, attr in RULE_FIELDS.items():
            rules = getattr(self, attr)
            if isinstance(rules, (str, Mapping)) or not isinstance(rules, Sequence):
                raise PolicyRubricError(f"{attr} must be a list of rules, got {rules!r}")
            object.__setattr__(self, attr, _freeze(rules))
            compiled[kind] = _compile_rules(kind, attr, getattr(self, attr))
        names = [r.name for rules in compiled.values() for r in rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise PolicyRubricError(f"rule names must be unique; repeated: {', '.join(duplicates)}")
        object.__setattr__(self, "_compiled", MappingProxyType(compiled))
        object.__setattr__(self, "defaults", _freeze(self._check_defaults()))
        object.__setattr__(self, "_defaults", self._compile_defaults())
        object.__setattr__(self, "audit", _freeze(_audit(self.audit)))
        if not isinstance(self.use_llm_judge, bool):
            raise PolicyRubricError(f"use_llm_judge must be true or false, got {self.use_llm_judge!r}")

    def _check_defaults(self) -> dict[str, Any]:
        if not isinstance(self.defaults, Mapping):
            raise PolicyRubricError(f"defaults must be a mapping of kind -> decision, got {self.defaults!r}")
        unknown = sorted(set(self.defaults) - set(RUBRIC_KINDS))
        if unknown:
            raise PolicyRubricError(f"defaults: unknown kinds {unknown}; kinds are {', '.join(RUBRIC_KINDS)}")
        return {**FAIL_CLOSED, **self.defaults}

    def _compile_defaults(self) -> Mapping[str, Decision]:
        out = {}
        for kind, decision in self.defaults.items():
            try:
                out[kind] = compile_decision(kind, decision, f"default for {kind}")
            except RuleError as exc:
                raise PolicyRubricError(f"defaults[{kind!r}]: {exc}") from exc
        return MappingProxyType(out)

    # -- reading ---------------------------------------------------------------------------------------
    def rules(self, kind: str) -> tuple[CompiledRule, ...]:
        """The compiled rules of ``kind`` in evaluation order."""
        return self._compiled[kind]

    def default(self, kind: str) -> Decision:
        """The compiled default decision of ``kind``."""
        return self._defaults[kind]

    def to_dict(self) -> dict[str, Any]:
        """A plain (mutable) dict of the rubric, e.g. to edit and build a new one."""
        out = {f.name: _thaw(getattr(self, f.name)) for f in dataclasses.fields(self) if f.init}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PolicyRubric:
        """A rubric from a dict; unknown keys fail (a typo must not silently drop a rule list)."""
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(data) - known)
        if unknown:
            import difflib

            hints = [
                f"{k!r}"
                + (f" (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(k, known, 1)) else "")
                for k in unknown
            ]
            raise PolicyRubricError(f"unknown rubric keys: {', '.join(hints)}")
        return cls(**dict(data))


def _compile_rules(kind: str, attr: str, rules: Sequence[Any]) -> tuple[CompiledRule, ...]:
    compiled = []
    for index, rule in enumerate(rules):
        label = f"{attr}[{index}]"
        if not isinstance(rule, Mapping):
            raise PolicyRubricError(f"{label}: a rule must be a mapping, got {rule!r}")
        name = rule.get("name", label)
        where = f"{label} ({name!r})" if "name" in rule else label
        if not isinstance(name, str) or not name:
            raise PolicyRubricError(f"{label}: 'name' must be a non-empty string, got {name!r}")
        unknown = sorted(set(rule) - _RULE_KEYS)
        if unknown:
            raise PolicyRubricError(
                f"{where}: unknown rule keys {unknown}; a rule has {', '.join(sorted(_RULE_KEYS))}"
            )
        priority = rule.get("priority", DEFAULT_PRIORITY)
        if not isinstance(priority, int) or isinstance(priority, bool):
            raise PolicyRubricError(f"{where}: 'priority' must be an integer, got {priority!r}")
        if "decision" not in rule:
            raise PolicyRubricError(f"{where}: needs a 'decision'")
        try:
            conditions = compile_when(kind, rule.get("when"))
            decision = compile_decision(kind, rule["decision"], name)
        except RuleError as exc:
            raise PolicyRubricError(f"{where}: {exc}") from exc
        compiled.append(CompiledRule(kind, name, priority, index, conditions, decision))
    return tuple(sorted(compiled, key=lambda r: (r.priority, r.index)))


def _audit(value: Any) -> dict[str, Any]:
    if value is None:
        return {"enabled": False, "path": None, "include_params": False}
    if isinstance(value, str):
        value = {"path": value}
    if not isinstance(value, Mapping):
        raise PolicyRubricError(f"audit must be a mapping or a file path, got {value!r}")
    unknown = sorted(set(value) - _AUDIT_KEYS)
    if unknown:
        raise PolicyRubricError(
            f"audit: unknown keys {unknown}; audit takes {', '.join(sorted(_AUDIT_KEYS))}"
        )
    path = value.get("path")
    enabled = value.get("enabled", path is not None)
    if enabled and not isinstance(path, str):
        raise PolicyRubricError("audit is enabled but has no 'path' (the JSONL file to append to)")
    return {
        "enabled": bool(enabled),
        "path": path,
        "include_params": bool(value.get("include_params", False)),
    }


DEFAULT_POLICY_RUBRIC = PolicyRubric(
    system_rubric=(
        "Allow operations that only read. Decline anything that writes outside the workspace, deletes data, "
        "installs software, or reaches the network, unless the user explicitly asked for exactly that."
    ),
)
"""The default rubric: no rules, fail-closed defaults, a conservative text for the judge. Immutable."""


def to_rubric(value: PolicyRubric | Mapping[str, Any] | None) -> PolicyRubric:
    """A :class:`PolicyRubric` from a rubric, a dict (checked) or None (the default rubric)."""
    if value is None:
        return DEFAULT_POLICY_RUBRIC
    if isinstance(value, PolicyRubric):
        return value
    if isinstance(value, Mapping):
        return PolicyRubric.from_dict(value)
    raise PolicyRubricError(f"a policy rubric must be a PolicyRubric or a dict, got {type(value).__name__}")
