#!/usr/bin/env bash
# One idempotent set-up for a fresh machine (root, Debian packages and the npm
# registry reachable): system packages, npm dependencies, the build.
# Quick and quiet when everything is already in place.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp_dir=.bootstrap
mkdir -p "$stamp_dir"

say() { printf 'bootstrap: %s\n' "$*" >&2; }

# 1. System packages, only those missing (apt-get update at most once).
missing=()
while read -r pkg _; do
	[[ -z "$pkg" || "$pkg" == \#* ]] && continue
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$pkg")
	fi
done < scripts/apt-packages.txt
if ((${#missing[@]})); then
	say "installing system packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$stamp_dir/apt.log" 2>&1 ||
		{ cat "$stamp_dir/apt.log" >&2; exit 1; }
fi

# 2. The reference tool (stap -p1) wants a kernel build directory to exist.
kbuild="/lib/modules/$(uname -r)/build"
if [[ ! -e "$kbuild/.config" && -r /proc/config.gz ]]; then
	mkdir -p "$kbuild"
	zcat /proc/config.gz >"$kbuild/.config"
	touch "$kbuild/Module.symvers"
fi

# 3. npm dependencies, when package-lock.json changed since the last install.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -d node_modules || "$(cat "$stamp_dir/npm" 2>/dev/null)" != "$lock_sum" ]]; then
	say "installing npm dependencies (npm ci)"
	npm ci --no-audit --no-fund --loglevel=error >"$stamp_dir/npm.log" 2>&1 ||
		{ cat "$stamp_dir/npm.log" >&2; exit 1; }
	echo "$lock_sum" >"$stamp_dir/npm"
fi

# 4. Build (incremental).
bash scripts/build.sh
