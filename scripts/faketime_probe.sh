#!/usr/bin/env bash
# Run the tests that use dates under libfaketime at moments where date arithmetic goes wrong:
# a Thursday (two "days ahead" roll onto one Monday), a Friday evening, Saturday 23:30 in Paris
# (another day in UTC than in Paris), and the nights of both daylight-saving changes.
# The test processes and every server they start see the faked wall clock; the monotonic clock
# stays real (FAKETIME_DONT_FAKE_MONOTONIC=1) so timeouts keep working.
#
#   scripts/faketime_probe.sh [pytest paths...]      (default: the date-using tests below)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
if ! command -v faketime >/dev/null 2>&1; then
  echo "faketime is not installed (make system-deps installs Debian's faketime)" >&2
  exit 1
fi

# Instants in UTC (faketime's '@' start-at form, the clock keeps running from there).
MOMENTS=(
  "2026-12-10 11:00:00|Thursday noon in Paris"
  "2026-12-11 17:30:00|Friday 18:30 in Paris"
  "2026-12-12 22:30:00|Saturday 23:30 in Paris (22:30 UTC)"
  "2027-03-28 00:30:00|01:30 in Paris, half an hour before the spring-forward gap"
  "2027-10-31 00:30:00|02:30 CEST in Paris, inside the autumn hour that happens twice"
)

if [ "$#" -gt 0 ]; then
  TARGETS=("$@")
else
  TARGETS=(
    tests/events/webhooks/test_notifications.py
    tests/events/webhooks/test_sandbox.py
    tests/events/webhooks/test_outbox.py
    tests/scheduling
    tests/api/test_scheduling_api.py
    tests/integrations/test_push_pull.py
    tests/security/test_input_hardening.py
  )
fi

status=0
for moment in "${MOMENTS[@]}"; do
  at="${moment%%|*}"
  label="${moment#*|}"
  echo "== faketime @$at UTC: $label"
  # sitecustomize: time.sleep through select() (libfaketime 0.9.10 + Python 3.11, see the file).
  if ! TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1 \
      PYTHONPATH="scripts/faketime${PYTHONPATH:+:$PYTHONPATH}" \
      faketime -f "@$at" "$PYTHON" -m pytest -q -p no:cacheprovider -x "${TARGETS[@]}"; then
    echo "!! failed at @$at UTC ($label)"
    status=1
  fi
done
exit "$status"
