"""The core stays pure: importing all of `jobwatch.core` loads no web, queue, HTTP, mail or database library."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("reflex", "huey", "httpx", "resend", "sqlmodel", "sqlalchemy")

# Run in a fresh interpreter: this test process may already hold those modules, imported by other tests.
_PROBE = """
import importlib, json, pkgutil, sys
import jobwatch.core
names = [info.name for info in pkgutil.walk_packages(jobwatch.core.__path__, "jobwatch.core.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "modules": sorted(sys.modules)}))
"""


def test_core_imports_no_framework() -> None:
    result = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=120)
    report = json.loads(result.stdout)
    assert "jobwatch.core.matching" in report["imported"]
    leaked = sorted(module for module in report["modules"] if module.split(".", 1)[0] in FORBIDDEN)
    assert leaked == []
