// The kernel profile: everything pass 2 (and later pass 3) needs to know
// about one target kernel, so that a script can be compiled for a kernel
// one cannot reach. Its id is the kernel's GNU build-id.

/** Bumped whenever a field changes meaning or a required field is added. */
export const PROFILE_SCHEMA_VERSION = 1;

/** A piece of the profile that could not be gathered, and why. */
export interface Unavailable {
	/** What was tried, e.g. "/proc/config.gz". */
	source: string;
	/** Why it failed, e.g. "EACCES: permission denied". */
	reason: string;
}

/** The result of trying one probe kind for real (see runtime-c/probe/tapprobe.c). */
export interface Capability {
	available: boolean;
	/** Why not, when unavailable: the step that failed and the kernel's answer. */
	reason?: string;
	/** errno name from the kernel, e.g. "EPERM", when the kernel said no. */
	error?: string;
}

export const CAPABILITY_NAMES = [
	'tracepoint',
	'rawTracepoint',
	'btfTracepoint',
	'uprobe',
	'perfEvent',
	'kprobe',
	'kprobeMulti',
	'modules',
	'fentry',
	'bpfLoop',
	'ringbuf',
] as const;
export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

export const RUNTIME_NAMES = ['bpf', 'kmod'] as const;
export type RuntimeName = (typeof RUNTIME_NAMES)[number];

export interface RuntimeSupport {
	available: boolean;
	/** Why not (or, when available, any condition, e.g. "needs the kernel tree at compile time"). */
	reason?: string;
}

export const LOCKDOWN_MODES = ['none', 'integrity', 'confidentiality', 'unknown'] as const;
export type LockdownMode = (typeof LOCKDOWN_MODES)[number];

/** One field of a tracepoint, from its tracefs format file. */
export interface TracepointField {
	name: string;
	/** The C type without the name, e.g. "const char *", "char[16]", "__data_loc char[]". */
	type: string;
	offset: number;
	size: number;
	signed: boolean;
}

export interface Tracepoint {
	/** Subsystem (tracefs directory), e.g. "syscalls". */
	system: string;
	/** Event name, e.g. "sys_enter_openat". */
	name: string;
	/** The kernel's event id (tracefs "ID:"), what perf_event_open takes. */
	id: number;
	/** The event's own fields (the common_* fields shared by all events are in KernelProfile.tracepointCommonFields). */
	fields: TracepointField[];
	/** The "print fmt:" line, as the kernel formats the event. */
	printFmt: string;
}

export interface KernelSymbols {
	/** Names of kernel text symbols (functions) from /proc/kallsyms, sorted and unique; "name [module]" not included. */
	functions: string[];
	/** Functions the kernel can trace (available_filter_functions), sorted and unique; absent when unreadable. */
	traceable?: string[];
}

export interface BtfInfo {
	present: boolean;
	/** Where it was read, e.g. /sys/kernel/btf/vmlinux. */
	path?: string;
	/** Size of the raw BTF in bytes. */
	size?: number;
	/** sha256 of the raw BTF, hex. */
	sha256?: string;
	/** The raw BTF, gzip-compressed then base64; absent when not carried. Decode with profileBtf(). */
	gzipBase64?: string;
}

export interface KernelProfile {
	schema: number;
	/** GNU build-id of the kernel, lowercase hex: the profile's id. */
	buildId: string;
	/** `uname -r` */
	release: string;
	/** `uname -v` */
	version: string;
	/** `uname -m`, e.g. "x86_64". */
	arch: string;
	hostname: string;
	/** When it was gathered, ISO 8601. */
	gatheredAt: string;
	lockdown: LockdownMode;
	/** CONFIG_* → value exactly as in .config ("y", "m", "\"str\"", "123"); options that are "not set" are absent. */
	config: Record<string, string>;
	configSource?: string;
	capabilities: Record<CapabilityName, Capability>;
	/** BPF helpers seen from a tracepoint program, e.g. { snprintf: true }. */
	bpfHelpers: Record<string, boolean>;
	runtimes: Record<RuntimeName, RuntimeSupport>;
	/** Fields every tracepoint has (common_type, common_pid, ...). */
	tracepointCommonFields: TracepointField[];
	/** Sorted by system, then name. */
	tracepoints: Tracepoint[];
	symbols: KernelSymbols;
	btf: BtfInfo;
	/** Parts that could not be gathered, so that a reader knows the difference between "none" and "unknown". */
	unavailable: Unavailable[];
}
