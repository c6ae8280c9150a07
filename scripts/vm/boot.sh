#!/usr/bin/env bash
# Boots the tapfleet test VM: Debian's kernel under qemu with the prepared
# initramfs plus a payload directory (its /payload/start runs in the guest).
# The serial console is this script's stdin/stdout: the guest prints
# "tapfleet-vm: READY" once the payload listens on every --port, and powers
# off cleanly when it reads the line "poweroff" (or when the payload exits).
#
# qemu dies with the process that started this script (a test runner killed
# on a timeout leaves no VM behind).
#
# usage: boot.sh [--payload DIR] [--port PORT]... [--run-dir DIR] [--shell]
#   --port PORT      forward 127.0.0.1:PORT on this machine to PORT in the guest
#   --run-dir DIR    where the combined initramfs goes (default: a fresh temp dir)
#   --shell          after READY, a shell on the console (exit it to power off)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

payload= run_dir= ports=() shell=
while (($#)); do
	case "$1" in
	--payload) payload=$2; shift 2 ;;
	--port) ports+=("$2"); shift 2 ;;
	--run-dir) run_dir=$2; shift 2 ;;
	--shell) shell=" tapfleet.shell=1"; shift ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) vm_die "unknown argument '$1' (see --help)" ;;
	esac
done
for p in "${ports[@]}"; do
	[[ "$p" =~ ^[0-9]+$ && "$p" -ge 1 && "$p" -le 65535 ]] || vm_die "--port $p: not a TCP port"
done
[[ -z "$payload" || -d "$payload" ]] || vm_die "--payload $payload: no such directory"

bash "$here/prepare.sh"

own_run_dir=
if [[ -z "$run_dir" ]]; then
	run_dir=$(mktemp -d /tmp/tapfleet-vm.XXXXXX)
	own_run_dir=1
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
[[ "${TAPFLEET_VM_KVM:-}" == 1 ]] && accel=(-accel kvm)
ports_csv=$(IFS=,; echo "${ports[*]}")

# -kernel with the ELF vmlinux boots through PVH, skipping the decompressor.
# romfile= drops the NIC's iPXE option ROM (2 s). -no-reboot: a panic ends qemu.
# -cpu max has RDRAND, so the guest's random pool is ready at once
# (random.trust_cpu=on) and Node does not wait for it. no_timer_check: on a
# busy host TCG delivers the early timer interrupts late, and the kernel's
# IO-APIC timer check then panics ("IO-APIC + timer doesn't work!").
# The parent-death
# signal ties qemu's life to its parent process.
qemu=(setpriv --pdeathsig KILL qemu-system-x86_64
	"${accel[@]}" -machine pc -cpu max -m 1024 -smp 1
	-nodefaults -display none -no-reboot -monitor none
	-serial stdio
	-kernel "$vm_vmlinux" -initrd "$initrd"
	-append "console=ttyS0 quiet panic=-1 no_timer_check random.trust_cpu=on tapfleet.ports=$ports_csv$shell"
	-netdev "$netdev" -device virtio-net-pci,netdev=n0,romfile=)
if [[ -n "$own_run_dir" ]]; then
	# Run by a person: the temporary initramfs (~100 MB) goes when qemu ends.
	trap 'rm -rf "$run_dir"' EXIT
	"${qemu[@]}"
else
	# Run by a program that owns the run directory: exec, so that qemu has
	# this script's pid and dies with that program.
	exec "${qemu[@]}"
fi
