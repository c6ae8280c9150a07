#!/usr/bin/env bash
# Boots the tapfleet test VM: Debian's kernel under qemu with the prepared
# initramfs plus a payload directory (its /payload/start runs in the guest).
# The serial console is this script's stdin/stdout: the guest prints
# "tapfleet-vm: READY" once the payload listens on every --port, and powers
# off cleanly when it reads the line "poweroff" (or when the payload exits).
#
# usage: boot.sh [--payload DIR] [--port PORT]... [--run-dir DIR] [--max-seconds N]
#   --port PORT      forward 127.0.0.1:PORT on this machine to PORT in the guest
#   --run-dir DIR    where the combined initramfs goes (default: a fresh temp dir)
#   --max-seconds N  hard limit on the VM's life (default 3600): a VM whose
#                    owner died never lingers
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

payload= run_dir= max_seconds=3600 ports=()
while (($#)); do
	case "$1" in
	--payload) payload=$2; shift 2 ;;
	--port) ports+=("$2"); shift 2 ;;
	--run-dir) run_dir=$2; shift 2 ;;
	--max-seconds) max_seconds=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) vm_die "unknown argument '$1' (see --help)" ;;
	esac
done
for p in "${ports[@]}"; do
	[[ "$p" =~ ^[0-9]+$ && "$p" -ge 1 && "$p" -le 65535 ]] || vm_die "--port $p: not a TCP port"
done
[[ -z "$payload" || -d "$payload" ]] || vm_die "--payload $payload: no such directory"

bash "$here/prepare.sh"

if [[ -z "$run_dir" ]]; then
	run_dir=$(mktemp -d /tmp/tapfleet-vm.XXXXXX)
	# The temp dir is ours to remove, but exec replaces this shell: qemu has the
	# initramfs in memory once started, so the file can go right after loading.
fi
mkdir -p "$run_dir"
initrd=$run_dir/initrd.cpio
cp "$vm_initramfs" "$initrd"
if [[ -n "$payload" ]]; then
	# A second cpio appended to the first: the kernel unpacks both.
	stage=$(mktemp -d "$run_dir/.stage.XXXXXX")
	ln -s "$(cd "$payload" && pwd)" "$stage/payload"
	(cd "$stage" && find -L payload -print0 | cpio --null -o -H newc -L --quiet) >>"$initrd"
	rm -rf "$stage"
fi

netdev=user,id=n0
for p in "${ports[@]}"; do netdev+=",hostfwd=tcp:127.0.0.1:$p-:$p"; done
# TCG by default: /dev/kvm may exist yet fail (nested virtualisation without
# all CPU features). TAPFLEET_VM_KVM=1 opts in where KVM works.
accel=(-accel tcg)
[[ "${TAPFLEET_VM_KVM:-}" == 1 ]] && accel=(-accel kvm -cpu host)
ports_csv=$(IFS=,; echo "${ports[*]}")

# -kernel with the ELF vmlinux boots through PVH, skipping the decompressor.
# romfile= drops the NIC's iPXE option ROM (2 s). -no-reboot: a panic ends qemu.
exec timeout -k 5 "$max_seconds" qemu-system-x86_64 \
	"${accel[@]}" -machine pc -cpu max -m 1024 -smp 1 \
	-nodefaults -display none -no-reboot -monitor none \
	-serial stdio \
	-kernel "$vm_vmlinux" -initrd "$initrd" \
	-append "console=ttyS0 quiet panic=-1 random.trust_cpu=on tapfleet.ports=$ports_csv" \
	-netdev "$netdev" -device virtio-net-pci,netdev=n0,romfile=
