"""`make lab`: run playbooks/prereqs.yml against a lab host, twice, and show the report's verdict.

The default state is the path that works today: Skype for Business Server 2019 with the
MicrosoftTeams module and certificate (app-only) authentication (the legacy connectors no
longer reach the tenant). The first run changes the tenant (SharedSipAddressSpace), the
second must change nothing, and the report must agree with the runs: a green run whose
report is not ready, or shows a failed check, fails the demo. The lab stops at the end,
whatever happened.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

from tests.e2e.lab import REPO, play_recap, run, start_lab


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.lab.demo", description=__doc__)
    parser.add_argument("--state", default="sfb2019-teams", help="state name or file (default: %(default)s)")
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
    verdict = report_verdict(report.read_text(encoding="utf-8"))
    print(f"Verdict: {verdict}")
    if second.get("changed", 0) != 0:
        print("The second run changed something: the playbook is not idempotent.", file=sys.stderr)
        return 1
    if not verdict.startswith("READY"):
        print("Both runs succeeded but the report is not ready: run and report disagree.", file=sys.stderr)
        return 1
    return 0


def report_verdict(text: str) -> str:
    """The report's verdict line; a failed check anywhere in it makes the verdict disagree with a green run."""
    match = re.search(r"^\*\*Verdict: (.*)\*\*$", text, re.M)
    verdict = match.group(1) if match else "no verdict in the report"
    if "| **FAILED** |" in text and verdict.startswith("READY"):
        return f"inconsistent: {verdict} but a check is FAILED"
    return verdict


if __name__ == "__main__":
    sys.exit(main())
