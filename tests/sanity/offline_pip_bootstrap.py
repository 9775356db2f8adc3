"""Let ansible-test build its virtual environments without downloading get-pip.

ansible-test bootstraps pip in each empty venv with a get-pip script it downloads
from a host that is not always reachable (air-gapped CI, proxies). It looks in its
cache first; this writes a stand-in there that gets pip from the interpreter's
bundled wheel (ensurepip) and then installs the pinned pip from the package index.
Run it with the Python that runs ansible-test.
"""

from __future__ import annotations

import pathlib
import sys
import types

from ansible_test._internal.python_requirements import get_venv_packages

STAND_IN = '''\
"""Offline stand-in for get-pip (written by lync.hybrid's tests/sanity/offline_pip_bootstrap.py)."""
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
arguments = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *arguments]))
'''


def main() -> None:
    # The Python that runs ansible-test: run_sanity.sh passes the same version to --python.
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    pip_version = get_venv_packages(types.SimpleNamespace(version=version))["pip"]
    cache = pathlib.Path("~/.ansible/test/cache").expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"get_pip_{pip_version.replace('.', '_')}.py"
    target.write_text(STAND_IN, encoding="utf-8")
    print(f"pip {pip_version} bootstrap: {target}")


if __name__ == "__main__":
    main()
