"""`make lab`: run playbooks/prereqs.yml against a lab host, twice, and show the report.

The first run changes the tenant (SharedSipAddressSpace), the second must change
nothing. The lab stops at the end, whatever happened.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from tests.e2e.lab import REPO, play_recap, run, start_lab


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lab.demo", description=__doc__)
    parser.add_argument("--state", default="lync2013-ready", help="state name or file (default: %(default)s)")
    parser.add_argument("--workdir", default=str(REPO / "build" / "lab"), help="where inventory, journal, report go")
    options = parser.parse_args(argv)

    workdir = pathlib.Path(options.workdir)
    lab = start_lab(options.state, workdir)
    print(f"Lab host on 127.0.0.1:{lab.port} ({options.state}); inventory {lab.inventory}", flush=True)
    try:
        recaps = []
        for label in ("first run", "second run"):
            print(f"\n=== ansible-playbook playbooks/prereqs.yml ({label}) ===", flush=True)
            result = run(["ansible-playbook", "playbooks/prereqs.yml", "-i", str(lab.inventory)])
            print(result.stdout, end="")
            print(result.stderr, end="", file=sys.stderr)
            if result.returncode != 0:
                print(f"\nThe {label} failed (rc={result.returncode}).", file=sys.stderr)
                return result.returncode
            recaps.append(play_recap(result.stdout))
    finally:
        lab.stop()

    first, second = recaps
    print(f"\nFirst run: changed={first.get('changed', 0)}; second run: changed={second.get('changed', 0)}")
    report = workdir / "reports" / "lync-online-prereqs.md"
    print(f"Readiness report: {report}")
    if second.get("changed", 0) != 0:
        print("The second run changed something: the playbook is not idempotent.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
