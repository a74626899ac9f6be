#!/usr/bin/env bash
# Dependency audit: pip-audit looks every installed package up in PyPI's vulnerability data (the same command
# by hand: `.venv/bin/pip-audit --skip-editable`). Known vulnerabilities fail CI. Where the vulnerability
# service cannot be reached (machines that reach only a package mirror), the audit says it was skipped and CI
# goes on: an unreachable service is not a finding.
set -uo pipefail
cd "$(dirname "$0")/.."
report="$(mktemp)"
trap 'rm -f "$report" "$report.err"' EXIT
timeout 300 .venv/bin/pip-audit --progress-spinner off --skip-editable --format json --output "$report" \
    2>"$report.err"
status=$?
.venv/bin/python - "$report" "$status" "$report.err" <<'PY'
import json
import sys
from pathlib import Path

report, status, errors = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
try:
    dependencies = json.loads(report.read_text())["dependencies"]
except (OSError, ValueError, KeyError):
    last = (errors.read_text().strip().splitlines() or ["no output"])[-1]
    print(f"ci: dependency audit skipped: the vulnerability service could not be reached ({last[:200]})", file=sys.stderr)
    sys.exit(0)
vulnerable = [d for d in dependencies if d.get("vulns")]
for dep in vulnerable:
    for vuln in dep["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
        print(f"ci: {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes})", file=sys.stderr)
if vulnerable:
    print(f"ci: dependency audit failed: {len(vulnerable)} vulnerable packages", file=sys.stderr)
    sys.exit(1)
audited = [d for d in dependencies if "skip_reason" not in d]
if not audited:
    print(
        f"ci: dependency audit skipped: none of {len(dependencies)} packages could be looked up "
        "(the vulnerability service is not reachable from this machine); run `.venv/bin/pip-audit` where it is",
        file=sys.stderr,
    )
    sys.exit(0)
if status not in (0, 1):
    print(f"ci: dependency audit skipped: pip-audit exited with {status}", file=sys.stderr)
    sys.exit(0)
print(f"ci: dependency audit: {len(audited)} packages, no known vulnerabilities"
      f" ({len(dependencies) - len(audited)} not found on the index)", file=sys.stderr)
PY
