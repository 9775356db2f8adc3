#!/usr/bin/env bash
# Run `ansible-test sanity` on a clean copy of the collection.
# ansible-test wants the collection at .../ansible_collections/lync/hybrid inside a git
# work tree and its own venvs; the copy gives it both without touching the checkout.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"
mkdir -p "$repo/build"
work="$(mktemp -d "$repo/build/sanity.XXXXXX")"   # one per run: runs may overlap
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/lync/hybrid"
mkdir -p "$dest"
(cd "$repo" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$dest")
cd "$dest"
git init -q
git add -A
git -c user.name=sanity -c user.email=sanity@localhost.invalid commit -qm snapshot
"$python" "$repo/tests/sanity/offline_pip_bootstrap.py"
version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
"$(dirname "$python")/ansible-test" sanity --venv --python "$version" --color no "$@"
