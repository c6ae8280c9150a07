// A syscall tracepoint is named after the kernel's SYSCALL_DEFINE (the
// event syscalls:sys_enter_newfstat), which on x86-64 is not always the
// name of the syscall's number in the uapi headers (__NR_fstat). The ones
// that differ, for code that needs the number of a tracepoint's call.
const UAPI_NAMES: Readonly<Record<string, string>> = {
	newstat: 'stat',
	newlstat: 'lstat',
	newfstat: 'fstat',
	newuname: 'uname',
	sendfile64: 'sendfile',
	umount: 'umount2',
};

/** The uapi name (__NR_NAME) of the call a syscalls:sys_{enter,exit}_CALL tracepoint traces. */
export function uapiSyscallName(call: string): string {
	return UAPI_NAMES[call] ?? call;
}
