"""The environment Reflex runs in: bun from the npm registry, caches in the data folder, no phoning home.

Reflex 0.10 fetches `bun` with an install script from the web and probes a few hosts (telemetry, the
newest-version check). jobwatch must work on machines that reach only the package registries, so:

- bun comes from the npm registry (`@oven/bun-<platform>` packages ship the binary) and lives in
  `<data>/reflex/bun/bin/bun`, where Reflex looks by default once `REFLEX_DIR` points at `<data>/reflex`;
- Reflex's and bun's files stay inside the git-ignored data folder, not the home folder;
- telemetry and the version check are off, so no probe costs a warning or a time-out.

`reflex_env()` is what `jobwatch serve` and the tests hand to the Reflex subprocess; `ensure_bun()` is what
`scripts/bootstrap.sh` calls (`python -m jobwatch.reflexenv`), and `serve` calls it too, so a missing bun is
fetched rather than reported.
"""

from __future__ import annotations

import os
import platform
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from jobwatch.config import ConfigError, get_settings

#: The bun version Reflex 0.10.1 pins (`reflex_base.constants.Bun.VERSION`); it refuses anything older.
BUN_VERSION = "1.4.4"

#: Used when npm is not there to ask which registry it is configured for.
DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org/"


class BunUnavailable(RuntimeError):
    """bun is not installed and could not be fetched from the npm registry (the message says why)."""


def reflex_dir() -> Path:
    """`<data>/reflex`: Reflex's own folder (bun, its package cache, logs), created on first use."""
    path = get_settings().data_dir / "reflex"
    path.mkdir(parents=True, exist_ok=True)
    return path


def bun_path() -> Path:
    """Where jobwatch keeps bun: `<data>/reflex/bun/bin/bun` (Reflex's default under `REFLEX_DIR`)."""
    return reflex_dir() / "bun" / "bin" / "bun"


def npm_registry() -> str:
    """The registry npm is configured for (`NPM_CONFIG_REGISTRY`, else `npm config get registry`)."""
    configured = os.environ.get("NPM_CONFIG_REGISTRY")
    if configured:
        return configured
    npm = shutil.which("npm")
    if npm is not None:
        try:
            out = subprocess.run(
                [npm, "config", "get", "registry"], capture_output=True, text=True, timeout=30, check=False
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out.startswith(("http://", "https://")):
            return out
    return DEFAULT_NPM_REGISTRY


def reflex_env() -> dict[str, str]:
    """Environment variables for a Reflex process (merge them over `os.environ`).

    Sets `REFLEX_DIR` and `BUN_INSTALL_CACHE_DIR` inside the data folder, `REFLEX_BUN_PATH` to jobwatch's
    bun, `REFLEX_STATES_WORKDIR` (per-tab state kept on disk) inside the data folder, telemetry and the
    latest-version check off, `NPM_CONFIG_REGISTRY` to npm's own registry, and
    `REFLEX_HTTP_CLIENT_BIND_ADDRESS=0.0.0.0` (Reflex's HTTP client otherwise tries IPv6 first and waits).
    Values already set in the environment for the cache and registry are kept.
    """
    base = reflex_dir()
    env = {
        "REFLEX_DIR": str(base),
        "REFLEX_BUN_PATH": str(bun_path()),
        "BUN_INSTALL_CACHE_DIR": os.environ.get("BUN_INSTALL_CACHE_DIR") or str(base / "bun-cache"),
        "REFLEX_STATES_WORKDIR": str(base / "states"),
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "NPM_CONFIG_REGISTRY": npm_registry(),
        "REFLEX_HTTP_CLIENT_BIND_ADDRESS": "0.0.0.0",
        # Next.js/Vite tooling telemetry, in case a frontend package asks.
        "NEXT_TELEMETRY_DISABLED": "1",
        "DO_NOT_TRACK": "1",
    }
    return env


def bun_package() -> str:
    """The npm package that ships bun for this machine, e.g. `@oven/bun-linux-x64`.

    On x86-64 Linux without AVX2 the `-baseline` build is used (the default build dies with SIGILL there).
    Raises `BunUnavailable` on a platform bun does not ship for.
    """
    system = sys.platform
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "aarch64", "arm64": "aarch64"}.get(machine)
    if arch is None:
        raise BunUnavailable(f"bun is not published for the CPU {machine!r}")
    if system.startswith("linux"):
        name = f"@oven/bun-linux-{arch}"
        if _is_musl():
            name += "-musl"
        if arch == "x64" and not _has_avx2():
            name += "-baseline"
        return name
    if system == "darwin":
        return f"@oven/bun-darwin-{arch}" + ("-baseline" if arch == "x64" and not _has_avx2() else "")
    if system == "win32":
        return f"@oven/bun-windows-{arch}"
    raise BunUnavailable(f"bun is not published for the platform {system!r}")


def _has_avx2() -> bool:
    if sys.platform.startswith("linux"):
        try:
            return "avx2" in Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
    if sys.platform == "darwin":
        out = subprocess.run(
            ["sysctl", "-n", "machdep.cpu.leaf7_features"], capture_output=True, text=True, check=False
        ).stdout
        return "AVX2" in out.upper()
    return True


def _is_musl() -> bool:
    libc, _ = platform.libc_ver()
    return not libc and Path("/etc/alpine-release").exists()


def _bun_version(path: Path) -> str | None:
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def ensure_bun(*, quiet: bool = False) -> Path:
    """Install bun `BUN_VERSION` from the npm registry into `bun_path()` unless it is already there.

    Fast when bun is present (one `bun --version`). Uses `npm pack` (so npm's registry, proxy and auth
    settings apply) and unpacks `package/bin/bun`. Returns the binary's path; raises `BunUnavailable` with
    what went wrong (no npm, registry unreachable, unsupported platform).
    """
    target = bun_path()
    if target.exists() and _bun_version(target) == BUN_VERSION:
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise BunUnavailable("npm is needed to fetch bun from the npm registry; install Node.js 20 or newer")
    package = f"{bun_package()}@{BUN_VERSION}"
    if not quiet:
        print(f"jobwatch: fetching {package} from the npm registry", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="jobwatch-bun-") as tmp:
        result = subprocess.run(
            [npm, "pack", package, "--silent", "--pack-destination", tmp],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            env={**os.environ, "NPM_CONFIG_REGISTRY": npm_registry()},
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if result.returncode != 0 or not tarballs:
            raise BunUnavailable(f"`npm pack {package}` failed: {result.stderr.strip()[-500:]}")
        binary_name = "bun.exe" if sys.platform == "win32" else "bun"
        with tarfile.open(tarballs[0]) as tar:
            member = tar.getmember(f"package/bin/{binary_name}")
            extracted = tar.extractfile(member)
            if extracted is None:
                raise BunUnavailable(f"{package} has no bin/{binary_name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            with extracted, partial.open("wb") as out:
                shutil.copyfileobj(extracted, out)
    partial.chmod(0o755)
    # Renamed into place only when complete, so an interrupted download never leaves a broken bun behind.
    partial.replace(target)
    version = _bun_version(target)
    if version != BUN_VERSION:
        raise BunUnavailable(f"the bun fetched to {target} does not run (version {version!r})")
    return target


def main(argv: list[str] | None = None) -> int:
    """`python -m jobwatch.reflexenv [--export]`: make sure bun is installed; print its path to stdout.

    With `--export`, print `export NAME=VALUE` lines of `reflex_env()` instead, for a developer's shell:
    `eval "$(python -m jobwatch.reflexenv --export)"` before `reflex run`.
    """
    args = sys.argv[1:] if argv is None else argv
    try:
        path = ensure_bun()
        if "--export" in args:
            for name, value in sorted(reflex_env().items()):
                print(f"export {name}={shlex.quote(value)}")
            return 0
    except (BunUnavailable, ConfigError) as exc:
        print(f"jobwatch: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
