"""Record cassettes/google_calendar/*.yaml against the loopback fake.

    .venv/bin/python tests/connectors/record_cassettes.py            # only missing cassettes
    .venv/bin/python tests/connectors/record_cassettes.py --force    # re-record all
    .venv/bin/python tests/connectors/record_cassettes.py events_patch oauth_refresh

Re-record after changing what the connector sends (then review the diff: it is the change in
the requests Google will see). Authorization headers and client secrets are filtered out.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hub.integrations.mapping import register_remote_schemas  # noqa: E402
from tests.connectors.google_calendar_scenarios import (  # noqa: E402
    CASSETTE_DIR,
    SCENARIOS,
    record,
)

register_remote_schemas()  # what the test session's conftest does: mappings know google.event


def main(argv: list[str] | None = None) -> int:
    """Record the named (or all) scenarios; existing cassettes are kept unless --force."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="scenario names (default: all)")
    parser.add_argument("--force", action="store_true", help="overwrite existing cassettes")
    args = parser.parse_args(argv)
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks plain http
    known = {s.name: s for s in SCENARIOS}
    unknown = set(args.names) - set(known)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    CASSETTE_DIR.mkdir(parents=True, exist_ok=True)
    for scenario in [known[n] for n in args.names] or list(SCENARIOS):
        path = CASSETTE_DIR / f"{scenario.name}.yaml"
        if path.exists() and not args.force:
            print(f"kept      {path.relative_to(ROOT)}")
            continue
        path.unlink(missing_ok=True)
        record(scenario, record_mode="once")
        print(f"recorded  {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
