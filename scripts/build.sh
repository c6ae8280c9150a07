#!/usr/bin/env bash
# Build everything: TypeScript from proto/ (ts-proto through buf), the
# TypeScript itself, and the C in runtime-c/. Incremental and quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp_dir=.bootstrap
mkdir -p "$stamp_dir"

proto_sum=$( (cat buf.gen.yaml; find proto -name '*.proto' -o -name 'buf.yaml' | sort | xargs cat) | sha256sum | cut -d' ' -f1)
if [[ ! -d proto/gen || "$(cat "$stamp_dir/proto" 2>/dev/null)" != "$proto_sum" ]]; then
	rm -rf proto/gen
	if find proto -name '*.proto' | grep -q .; then
		npx --no-install buf generate
	fi
	mkdir -p proto/gen
	echo "$proto_sum" >"$stamp_dir/proto"
fi

npx --no-install tsc -p tsconfig.json
# The CLI bundled (bin/tapfleet runs it while it is newer than tsc's output).
node scripts/bundle-cli.mjs

make -s -C runtime-c
