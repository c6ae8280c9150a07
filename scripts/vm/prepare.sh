#!/usr/bin/env bash
# Prepares the tapfleet test VM (idempotent; silent when all is in place):
#  1. Debian's kernel image matching the installed linux-headers-amd64,
#     downloaded and unpacked into the cache (never installed: that takes minutes);
#  2. the decompressed vmlinux (boots in half the time of the bzImage, and
#     carries the build-id);
#  3. a base initramfs: busybox, Node and its libraries, the virtio-net
#     modules, and scripts/vm/guest-init.sh as /init. boot.sh appends the payload.
# usage: prepare.sh [--print-env]   (--print-env: print the paths as KEY=VALUE)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$here/common.sh"

[[ $(id -u) == 0 ]] || vm_die "prepare.sh needs root (apt-get download into the cache, /dev/console node in the initramfs)"
[[ -d "$vm_tree" ]] || vm_die "no kernel tree at $vm_tree (apt-get install linux-headers-$vm_rel)"
mkdir -p "$vm_dir"
# Test files prepare concurrently: one at a time, the others then find it done.
exec 9>"$vm_dir/.lock"
flock 9

fetch_image() {
	[[ -f "$vm_vmlinuz" && -f "$vm_system_map" ]] && return
	local version tmp deb
	version=$(dpkg-query -W -f='${Version}' "linux-headers-$vm_rel")
	tmp=$(mktemp -d "$vm_dir/.image.XXXXXX")
	vm_say "downloading linux-image-$vm_rel $version"
	# The unsigned image is the same kernel without the Secure Boot signature.
	download() {
		(cd "$tmp" && apt-get download -qq "linux-image-$vm_rel-unsigned=$version" 2>/dev/null ||
			apt-get download -qq "linux-image-$vm_rel=$version" 2>/dev/null)
	}
	# A stale package list needs an update; a busy mirror, another try.
	local attempt=1
	until download; do
		((attempt < 3)) || vm_die "cannot download linux-image-$vm_rel $version (apt-get download failed 3 times; try it by hand to see why)"
		apt-get update -qq >/dev/null 2>&1 || true
		sleep $((attempt * 2))
		attempt=$((attempt + 1))
	done
	deb=$(ls "$tmp"/*.deb)
	dpkg-deb -x "$deb" "$tmp/image"
	rm -rf "$vm_image_dir"
	mv "$tmp/image" "$vm_image_dir"
	rm -rf "$tmp"
}

extract_vmlinux() {
	[[ -f "$vm_vmlinux" && "$vm_vmlinux" -nt "$vm_vmlinuz" ]] && return
	vm_say "extracting vmlinux from $vm_vmlinuz"
	node "$here/extract-vmlinux.mjs" "$vm_vmlinuz" "$vm_vmlinux"
}

# virtio-net and its dependencies, in load order.
vm_modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"

build_initramfs() {
	local node busybox inputs stamp
	node=$(command -v node)
	busybox=$(command -v busybox) || vm_die "busybox is missing (apt-get install busybox-static)"
	# Rebuild when any input changes (sizes and times, not hashes: this runs on every test).
	inputs=$(stat -L -c '%n %s %Y' "$node" "$busybox" "$here/guest-init.sh" "$here/prepare.sh" "$vm_vmlinuz"; echo "$vm_modules")
	stamp=$(printf '%s' "$inputs" | sha256sum | cut -d' ' -f1)
	[[ -f "$vm_initramfs" && "$(cat "$vm_initramfs.stamp" 2>/dev/null)" == "$stamp" ]] && return

	vm_say "building the initramfs"
	local root
	root=$(mktemp -d "$vm_dir/.initramfs.XXXXXX")
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,root,etc,usr/bin} "$root/lib/modules/$vm_rel/vm"
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3
	cp "$busybox" "$root/bin/busybox"
	install -m 755 "$here/guest-init.sh" "$root/init"
	# Without its debug symbols Node is 12 MB smaller, which the guest unpacks faster.
	strip -o "$root/usr/bin/node" "$node" 2>/dev/null || cp "$node" "$root/usr/bin/node"
	# Node's shared libraries at the paths its loader looks for (ldd's view).
	local lib
	for lib in $(ldd "$node" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
	local m path
	for m in $vm_modules; do
		path=$(find "$vm_image_dir/lib/modules/$vm_rel/kernel" -name "$m.ko*" | head -1)
		[[ -n "$path" ]] || vm_die "module $m is not in linux-image-$vm_rel"
		case "$path" in
		*.ko.xz) xz -dc "$path" >"$root/lib/modules/$vm_rel/vm/$m.ko" ;;
		*.ko.zst) zstd -dcq "$path" >"$root/lib/modules/$vm_rel/vm/$m.ko" ;;
		*.ko) cp "$path" "$root/lib/modules/$vm_rel/vm/$m.ko" ;;
		esac
	done
	echo "$vm_modules" | tr ' ' '\n' >"$root/lib/modules/$vm_rel/vm-modules"
	# Where a distribution keeps it: the agent's profile reads the guest's config there.
	mkdir -p "$root/boot"
	cp "$vm_image_dir/boot/config-$vm_rel" "$root/boot/"
	# Uncompressed: the kernel unpacks it faster than it would decompress it.
	(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) >"$vm_initramfs.tmp"
	mv "$vm_initramfs.tmp" "$vm_initramfs"
	echo "$stamp" >"$vm_initramfs.stamp"
	rm -rf "$root"
}

fetch_image
extract_vmlinux
build_initramfs

if [[ "${1:-}" == --print-env ]]; then
	printf 'TAPFLEET_VM_RELEASE=%s\n' "$vm_rel"
	printf 'TAPFLEET_VM_TREE=%s\n' "$vm_tree"
	printf 'TAPFLEET_VM_VMLINUZ=%s\n' "$vm_vmlinuz"
	printf 'TAPFLEET_VM_VMLINUX=%s\n' "$vm_vmlinux"
	printf 'TAPFLEET_VM_SYSTEM_MAP=%s\n' "$vm_system_map"
	printf 'TAPFLEET_VM_INITRAMFS=%s\n' "$vm_initramfs"
fi
