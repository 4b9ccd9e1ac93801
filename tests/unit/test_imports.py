"""Every module of the package imports on the running Python (CI runs the unit tests on 3.10 to 3.13)."""

from __future__ import annotations

import subprocess
import sys

# In a child: importing everything here would defeat the lazy-loading tests that run in this process.
# Deprecation warnings are errors so that an API on its way out shows up on the newest Python first.
SCRIPT = """
import importlib, pkgutil, codex_python_sdk
names = [m.name for m in pkgutil.walk_packages(codex_python_sdk.__path__, "codex_python_sdk.")]
for name in names:
    if not name.endswith(".__main__"):  # runs the demo CLI
        importlib.import_module(name)
print(len(names))
"""


def test_every_module_imports_without_deprecation_warnings() -> None:
    proc = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) > 700  # the generated protocol models are among them
