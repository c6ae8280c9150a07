# Shared by prepare.sh and boot.sh: which kernel the VM runs and where its
# prepared files live. Source it; it only sets variables.
#
# The VM runs the Debian kernel whose headers (linux-headers-amd64) are
# installed, so modules kbuilt against /lib/modules/<rel>/build load in it.
# Override with TAPFLEET_VM_RELEASE=<rel> (its linux-headers-<rel> must be
# installed). Files go to TAPFLEET_VM_CACHE (default /var/cache/tapfleet/vm),
# never into the repository.

vm_say() { printf 'vm: %s\n' "$*" >&2; }
vm_die() { printf 'vm: error: %s\n' "$*" >&2; exit 1; }

vm_release() {
	if [[ -n "${TAPFLEET_VM_RELEASE:-}" ]]; then
		printf '%s\n' "$TAPFLEET_VM_RELEASE"
		return
	fi
	local dep
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null) ||
		vm_die "linux-headers-amd64 is not installed (apt-get install linux-headers-amd64, or set TAPFLEET_VM_RELEASE)"
	# "linux-headers-6.1.0-56-amd64 (= 6.1.192-2)" -> 6.1.0-56-amd64
	dep=${dep%% *}
	printf '%s\n' "${dep#linux-headers-}"
}

vm_cache_root=${TAPFLEET_VM_CACHE:-/var/cache/tapfleet/vm}
vm_rel=$(vm_release)
vm_dir=$vm_cache_root/$vm_rel
vm_image_dir=$vm_dir/image              # the unpacked linux-image package
vm_vmlinuz=$vm_image_dir/boot/vmlinuz-$vm_rel
vm_system_map=$vm_image_dir/boot/System.map-$vm_rel
vm_vmlinux=$vm_dir/vmlinux              # decompressed: boots faster (PVH), has the build-id
vm_initramfs=$vm_dir/initramfs-base.cpio
vm_tree=/lib/modules/$vm_rel/build
