#!/usr/bin/env bash
# tapfleet's main job on this host, for a first look after set-up: the seed
# example (who opens which files) compiled to a BPF module and run here while
# `cat` opens a few files.
set -euo pipefail
cd "$(dirname "$0")/.."
exec bin/tapfleet run -c 'cat /etc/hostname /etc/os-release' docs/examples/opens.stp
