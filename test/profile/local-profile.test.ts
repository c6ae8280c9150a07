// The profile of this very host, gathered for real: build-id, tracepoints,
// symbols, BTF and capabilities as FIELD-NOTES.md measured them here.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { profileBtf } from '../../controller/profile/btf.js';
import { gnuBuildIdFromNotes } from '../../controller/profile/elf-notes.js';
import { gatherLocalProfile, type GatherResult } from '../../controller/profile/gather.js';
import { parseKconfig } from '../../controller/profile/kconfig.js';
import { validateProfile } from '../../controller/profile/validate.js';

let gathered: GatherResult;
test.before(async () => {
	gathered = await gatherLocalProfile();
});

const uname = (flag: string) => execFileSync('uname', [flag], { encoding: 'utf8' }).trim();

test('the id is the build-id in /sys/kernel/notes', (t) => {
	const { profile } = gathered;
	t.regex(profile.buildId, /^[0-9a-f]{40}$/);
	t.is(profile.buildId, gnuBuildIdFromNotes(readFileSync('/sys/kernel/notes')) ?? 'no build-id in /sys/kernel/notes');
});

test('release, version and arch are what uname says', (t) => {
	const { profile } = gathered;
	t.is(profile.release, uname('-r'));
	t.is(profile.version, uname('-v'));
	t.is(profile.arch, uname('-m'));
	t.is(profile.schema, 1);
});

test('syscalls:sys_enter_openat has its arguments with C types', (t) => {
	const openat = gathered.profile.tracepoints.find((tp) => tp.system === 'syscalls' && tp.name === 'sys_enter_openat');
	t.truthy(openat);
	const fields = Object.fromEntries(openat!.fields.map((f) => [f.name, f]));
	t.deepEqual(Object.keys(fields), ['__syscall_nr', 'dfd', 'filename', 'flags', 'mode']);
	t.is(fields.filename.type, 'const char *');
	t.is(fields.filename.size, 8);
	t.is(fields.mode.type, 'umode_t');
	t.is(fields.__syscall_nr.type, 'int');
	t.true(fields.__syscall_nr.signed);
	t.regex(openat!.printFmt, /^"dfd: /);
	t.is(openat!.id, Number(readFileSync('/sys/kernel/tracing/events/syscalls/sys_enter_openat/id', 'utf8')));
});

test('arrays and common fields: sched:sched_switch', (t) => {
	const { profile } = gathered;
	const sw = profile.tracepoints.find((tp) => tp.system === 'sched' && tp.name === 'sched_switch');
	t.deepEqual(sw?.fields.find((f) => f.name === 'prev_comm'), { name: 'prev_comm', type: 'char[16]', offset: 8, size: 16, signed: false });
	t.true(profile.tracepointCommonFields.some((f) => f.name === 'common_pid' && f.type === 'int'));
	t.false(sw!.fields.some((f) => f.name.startsWith('common_')));
});

test('every event of a subsystem is listed, with hundreds of syscalls', (t) => {
	const { profile } = gathered;
	// Static subsystems only: other tests may add dynamic (uprobe) events meanwhile.
	for (const system of ['syscalls', 'sched', 'raw_syscalls']) {
		const onDisk = readdirSync(`/sys/kernel/tracing/events/${system}`, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
		const listed = profile.tracepoints.filter((tp) => tp.system === system).map((tp) => tp.name);
		t.deepEqual(listed, onDisk.sort(), system);
	}
	t.true(new Set(profile.tracepoints.map((tp) => tp.system)).size > 50);
	t.true(profile.tracepoints.filter((tp) => tp.name.startsWith('sys_enter_')).length > 300);
});

test('kernel functions come from /proc/kallsyms, sorted, without padding symbols', (t) => {
	const { functions } = gathered.profile.symbols;
	t.true(functions.length > 10_000);
	for (const f of ['schedule', 'do_sys_openat2', 'vfs_read']) t.true(functions.includes(f), f);
	t.false(functions.some((f) => f.startsWith('__pfx_')));
	t.deepEqual(functions, [...functions].sort());
	t.is(new Set(functions).size, functions.length);
});

test('capabilities are those FIELD-NOTES.md measured on this host', (t) => {
	const c = gathered.profile.capabilities;
	for (const yes of ['tracepoint', 'rawTracepoint', 'btfTracepoint', 'uprobe', 'perfEvent', 'bpfLoop', 'ringbuf'] as const) {
		t.true(c[yes].available, `${yes}: ${c[yes].reason}`);
	}
	t.false(c.kprobe.available);
	t.is(c.kprobe.error, 'ENOENT');
	t.false(c.kprobeMulti.available);
	t.is(c.kprobeMulti.error, 'EOPNOTSUPP');
	t.false(c.fentry.available);
	t.is(c.fentry.error, 'EPERM');
	t.false(c.modules.available);
	t.regex(c.modules.reason ?? '', /no loadable module support|not permitted/);
	t.true(gathered.profile.bpfHelpers.snprintf);
	t.deepEqual(gathered.profile.runtimes.bpf, { available: true });
	t.false(gathered.profile.runtimes.kmod.available);
	t.regex(gathered.profile.runtimes.kmod.reason ?? '', /loadable modules unavailable/);
});

test('lockdown mode is the bracketed one in securityfs', (t) => {
	const text = readFileSync('/sys/kernel/security/lockdown', 'utf8');
	t.is(gathered.profile.lockdown, /\[(\w+)\]/.exec(text)![1] as typeof gathered.profile.lockdown);
});

test('config is /proc/config.gz', (t) => {
	const { profile } = gathered;
	t.is(profile.configSource, '/proc/config.gz');
	t.deepEqual(profile.config, parseKconfig(gunzipSync(readFileSync('/proc/config.gz')).toString('utf8')));
	t.is(profile.config.CONFIG_BPF_SYSCALL, 'y');
	t.false('CONFIG_KPROBES' in profile.config, '"is not set" options are absent');
});

test('BTF is carried compressed and decodes to the kernel BTF', (t) => {
	const { btf } = gathered.profile;
	t.true(btf.present);
	t.is(btf.size, statSync('/sys/kernel/btf/vmlinux').size);
	t.true(btf.gzipBase64!.length < btf.size!, 'compressed');
	t.deepEqual(profileBtf(gathered.profile), readFileSync('/sys/kernel/btf/vmlinux'));
});

test('what could not be read is recorded with the reason (available_filter_functions here)', (t) => {
	const { profile } = gathered;
	const filter = profile.unavailable.find((u) => u.source.endsWith('available_filter_functions'));
	let readable = true;
	try {
		readFileSync('/sys/kernel/tracing/available_filter_functions');
	} catch {
		readable = false;
	}
	if (readable) {
		t.true((profile.symbols.traceable?.length ?? 0) > 0);
	} else {
		t.regex(filter?.reason ?? '', /EPERM|EACCES/);
		t.is(profile.symbols.traceable, undefined);
	}
});

test('the gathered profile passes validation; timings are recorded', (t) => {
	t.notThrows(() => validateProfile(JSON.parse(JSON.stringify(gathered.profile)), 'gathered'));
	for (const part of ['kallsyms', 'tracepoints', 'capabilities', 'btf', 'total']) t.true(Number.isFinite(gathered.timings[part]), part);
});
