#!/usr/bin/env bash
# tapfleet's main job on this host, for a first look after set-up.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bin/tapfleet compile -p1 docs/examples/opens.stp
