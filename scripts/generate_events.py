#!/usr/bin/env python3
"""Generate ``src/codex_python_sdk/events/_typed.py`` (the typed event classes) from the protocol registry.

    python scripts/generate_events.py           # regenerate from the checked-in protocol registry
    python scripts/generate_events.py --check   # exit 1 if the checked-in file differs

``scripts/generate_protocol.py`` writes (and checks) the same file from the binary's schema, so upgrading
codex stays one command; this script needs no binary, which keeps its check fast enough for a unit test.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _gen.emit_events import emit_events

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "codex_python_sdk" / "events" / "_typed.py"


def render() -> str:
    """The module's text from ``codex_python_sdk.protocol._registry`` (its tables only; no model loads)."""
    sys.path.insert(0, str(ROOT / "src"))
    from codex_python_sdk.protocol import _registry as registry

    return emit_events(
        registry.CODEX_VERSION,
        registry.SCHEMA_SHA256,
        list(registry.NOTIFICATIONS.items()),
        [(method, names[0]) for method, names in registry.SERVER_REQUESTS.items()],
        registry._MODULES,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the checked-in file is stale")
    args = parser.parse_args(argv)
    text = render()
    current = OUT.read_text(encoding="utf-8") if OUT.exists() else None
    if args.check:
        if current == text:
            print(f"{OUT.relative_to(ROOT)} is up to date")
            return 0
        print(f"{OUT.relative_to(ROOT)} is stale: run python scripts/generate_events.py", file=sys.stderr)
        return 1
    if current != text:
        OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}" if current != text else f"{OUT.relative_to(ROOT)} unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
