#!/usr/bin/env python3
"""Opens exported notebook pages in headless Chromium with the network cut off and checks
that every plotly figure was drawn (plotly's SVG present) and that the page logged no
JavaScript error.

    python3 scripts/check_offline_html.py PAGE.html [PAGE.html ...]

Exit status 1 names the page and what is missing. Needs Debian's chromium.
"""
import re
import subprocess
import sys
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"


def check(page: Path) -> list[str]:
    html = page.read_text(encoding="utf-8")
    expected = len(re.findall(r'class="plotly-graph-div"', html))
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            # No network: every host resolves to nothing and any proxy use fails.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=15000",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    problems = []
    if result.returncode != 0:
        problems.append(f"chromium exited with {result.returncode}: {result.stderr[-2000:]}")
    drawn = len(re.findall(r'class="main-svg"', result.stdout))
    # plotly draws two main-svg layers per figure.
    if expected == 0:
        problems.append("no plotly figure in the page")
    elif drawn < expected:
        problems.append(f"{expected} figures but {drawn} plotly SVG layers drawn")
    errors = [line for line in result.stderr.splitlines() if "CONSOLE" in line and ("Error" in line or "Uncaught" in line)]
    problems += [f"console: {line}" for line in errors]
    return problems


def main() -> int:
    failed = False
    for arg in sys.argv[1:]:
        problems = check(Path(arg))
        for p in problems:
            print(f"{arg}: {p}")
        failed |= bool(problems)
        if not problems:
            print(f"{arg}: figures drawn offline, no console errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
