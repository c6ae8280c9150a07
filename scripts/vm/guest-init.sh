#!/bin/busybox sh
# /init of the tapfleet test VM (PID 1, busybox). Mounts the kernel's
# filesystems, brings up virtio networking for qemu's user network, starts
# /payload/start, prints READY once the payload listens on the ports named by
# tapfleet.ports= on the kernel command line, and powers off cleanly when the
# payload exits or the console receives a line "poweroff".
/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin HOME=/root NO_COLOR=1 TERM=dumb

say() { echo "tapfleet-vm: $*" >/dev/console; }
halt_now() {
	sync
	poweroff -f
	sleep 10 # poweroff -f does not return; never let PID 1 exit (that panics)
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /sys/kernel/tracing /tmp /run
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug

ports= shell=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	tapfleet.ports=*) ports=$(echo "${arg#*=}" | tr , ' ') ;;
	tapfleet.shell=1) shell=1 ;;
	esac
done

# virtio-net and what it needs, in dependency order (no modules.dep here).
rel=$(uname -r)
for m in $(cat /lib/modules/"$rel"/vm-modules); do
	insmod /lib/modules/"$rel"/vm/"$m".ko || say "insmod $m failed"
done
hostname tapfleet-vm
ip link set lo up
# Under TCG on a busy machine the probe can take seconds of wall time.
i=0
while ! ip link show eth0 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -gt 600 ] && { say "no network interface eth0 after 60 s"; halt_now; }
	sleep 0.1
done
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

# True when something listens on TCP port $1 (IPv4 or IPv6; state 0A = LISTEN).
listening() {
	hex=$(printf '%04X' "$1")
	grep -q "^ *[0-9]*: [0-9A-F]*:$hex [0-9A-F]*:0000 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

stop_requested=
trap 'stop_requested=1; [ -n "$payload" ] && kill -TERM "$payload" 2>/dev/null' USR1
if [ -z "$shell" ]; then
	# The console reader runs beside the payload and asks PID 1 to stop.
	(while read -r line; do
		[ "$line" = poweroff ] && { kill -USR1 1; break; }
	done) </dev/console &
fi

payload=
if [ -x /payload/start ]; then
	(cd /payload && TAPFLEET_PORTS="$ports" TAPFLEET_PORT="${ports%% *}" exec /payload/start) </dev/null >/dev/console 2>&1 &
	payload=$!
fi

waited=0
for port in $ports; do
	while ! listening "$port"; do
		if [ -n "$payload" ] && ! kill -0 "$payload" 2>/dev/null; then
			wait "$payload"
			say "payload exited with status $? before listening on port $port"
			halt_now
		fi
		waited=$((waited + 1))
		[ $waited -gt 3000 ] && { say "nothing listens on port $port after 300 s"; halt_now; }
		sleep 0.1
	done
done
say READY

if [ -n "$shell" ]; then
	# boot.sh --shell: a shell on the console for a person; leaving it powers off.
	say "shell on the console; exit it to power off"
	setsid cttyhack sh
	[ -n "$payload" ] && kill -TERM "$payload" 2>/dev/null
	kill -USR1 1
fi
if [ -n "$payload" ]; then
	wait "$payload"
	status=$?
	# A trapped USR1 interrupts wait; the payload got SIGTERM: give it 5 s.
	if [ -n "$stop_requested" ]; then
		(sleep 5; kill -KILL "$payload" 2>/dev/null) &
		wait "$payload"
		status=$?
	fi
	say "payload exited with status $status"
else
	while [ -z "$stop_requested" ]; do sleep 1; done
fi
say "powering off"
halt_now
