"""Record cassettes/zoho/*.yaml against the loopback fake.

    .venv/bin/python tests/connectors/record_zoho_cassettes.py               # every scenario
    .venv/bin/python tests/connectors/record_zoho_cassettes.py watch_enable  # some

Re-record after changing what the connector sends, then review the diff: it is the change in
the requests Zoho will see. Authorization headers and client secrets are filtered out.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.connectors.zoho_scenarios import CASSETTE_DIR, SCENARIOS, record  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Record the named (or all) scenarios."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("names", nargs="*", help="scenario names (default: all)")
    args = parser.parse_args(argv)
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    known = {s.name: s for s in SCENARIOS}
    unknown = set(args.names) - set(known)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    CASSETTE_DIR.mkdir(parents=True, exist_ok=True)
    for name in args.names or list(known):
        record(known[name])
        print(f"recorded {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
