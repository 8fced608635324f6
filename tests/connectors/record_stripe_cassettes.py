"""Record cassettes/stripe/*.yaml against the loopback Stripe fake.

    .venv/bin/python tests/connectors/record_stripe_cassettes.py            # only missing ones
    .venv/bin/python tests/connectors/record_stripe_cassettes.py --force    # re-record all

Re-record after changing what connectors/stripe/api.py sends (then review the diff: it is the
change in the requests Stripe will see). Authorization headers are filtered out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.connectors.stripe_scenarios import CASSETTE_DIR, SCENARIOS, record  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Record the named (or all) scenarios; existing cassettes are kept unless --force."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="scenario names (default: all)")
    parser.add_argument("--force", action="store_true", help="overwrite existing cassettes")
    args = parser.parse_args(argv)
    known = {s.name: s for s in SCENARIOS}
    unknown = set(args.names) - set(known)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    CASSETTE_DIR.mkdir(parents=True, exist_ok=True)
    for name in args.names or list(known):
        path = CASSETTE_DIR / f"{name}.yaml"
        if path.exists():
            if not args.force:
                print(f"keep     {path.relative_to(ROOT)}")
                continue
            path.unlink()
        record(known[name])
        print(f"recorded {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
