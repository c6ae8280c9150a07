// The pure parsers: tracepoint formats, kallsyms, .config, lockdown, tapprobe's output.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { interpretTapprobe } from '../../controller/profile/capabilities.js';
import { parseLockdown } from '../../controller/profile/identity.js';
import { parseFilterFunctions, parseKallsymsFunctions } from '../../controller/profile/kallsyms.js';
import { parseKconfig } from '../../controller/profile/kconfig.js';
import { parseTracepointFormat, splitDeclaration, TracepointFormatError } from '../../controller/profile/tracepoint-format.js';
import { parseDynamicEvents } from '../../controller/profile/tracepoints.js';

test('declarations split into name and type', (t) => {
	t.deepEqual(splitDeclaration('const char * filename'), { name: 'filename', type: 'const char *' });
	t.deepEqual(splitDeclaration('char prev_comm[16]'), { name: 'prev_comm', type: 'char[16]' });
	t.deepEqual(splitDeclaration('__data_loc char[] name'), { name: 'name', type: '__data_loc char[]' });
	t.deepEqual(splitDeclaration('unsigned long args[]'), { name: 'args', type: 'unsigned long[]' });
	t.deepEqual(splitDeclaration('unsigned  long   ip'), { name: 'ip', type: 'unsigned long' });
	t.throws(() => splitDeclaration('[]'), { instanceOf: TracepointFormatError });
});

test('a real format file: every field line becomes a field', (t) => {
	const text = readFileSync('/sys/kernel/tracing/events/sched/sched_switch/format', 'utf8');
	const f = parseTracepointFormat(text);
	t.is(f.name, 'sched_switch');
	t.is(f.commonFields.length + f.fields.length, (text.match(/\tfield:/g) ?? []).length);
	t.deepEqual(f.fields.find((x) => x.name === 'next_pid'), { name: 'next_pid', type: 'pid_t', offset: 56, size: 4, signed: true });
	t.regex(f.printFmt, /^"prev_comm=%s/);
});

test('a format file without name or ID is rejected', (t) => {
	t.throws(() => parseTracepointFormat('format:\n'), { instanceOf: TracepointFormatError, message: /no "name:" line/ });
	t.throws(() => parseTracepointFormat('name: x\nformat:\n'), { instanceOf: TracepointFormatError, message: /event x: no valid "ID:"/ });
});

test('kallsyms: text symbols only, module and padding symbols left out', (t) => {
	const text = [
		'ffffffff81000000 T _stext',
		'ffffffff81000010 t __pfx_do_one',
		'ffffffff81000020 t do_one',
		'ffffffff81000030 t do_one',
		'ffffffff81000040 W weak_fn',
		'ffffffff82000000 D some_data',
		'ffffffff82000010 b some_bss',
		'ffffffffc0000000 t mod_fn\t[virtio_net]',
		'',
	].join('\n');
	t.deepEqual(parseKallsymsFunctions(text), ['_stext', 'do_one', 'weak_fn']);
	t.deepEqual(parseFilterFunctions('b_fn\na_fn\n__pfx_a_fn\nmod_fn [virtio_net]\n'), ['a_fn', 'b_fn']);
});

test('.config: values kept verbatim, "is not set" lines skipped', (t) => {
	const config = parseKconfig('#\n# CONFIG_KPROBES is not set\nCONFIG_BPF=y\nCONFIG_LOCALVERSION=""\nCONFIG_NR_CPUS=64\nCONFIG_FOO=m\n');
	t.deepEqual(config, { CONFIG_BPF: 'y', CONFIG_LOCALVERSION: '""', CONFIG_NR_CPUS: '64', CONFIG_FOO: 'm' });
});

test('lockdown: the bracketed mode', (t) => {
	t.is(parseLockdown('none [integrity] confidentiality\n'), 'integrity');
	t.is(parseLockdown('[none] integrity confidentiality\n'), 'none');
	t.is(parseLockdown('garbage'), 'unknown');
});

test('tapprobe output: capabilities, helpers and runtimes with reasons', (t) => {
	const probes: Record<string, unknown> = {
		tracepoint: { ok: true },
		raw_tracepoint: { ok: true },
		ringbuf: { ok: false, stage: 'create', errno: 22, error: 'EINVAL', message: 'map create failed' },
		modules: { ok: true },
		'helper:snprintf': { ok: false, stage: 'load', errno: 22, error: 'EINVAL', message: 'unknown' },
	};
	const r = interpretTapprobe(JSON.stringify({ schema: 1, probes }));
	t.true(r.capabilities.tracepoint.available);
	t.deepEqual(r.capabilities.ringbuf, { available: false, error: 'EINVAL', reason: 'EINVAL at create: map create failed' });
	t.regex(r.capabilities.uprobe.reason ?? '', /not probed/);
	t.deepEqual(r.bpfHelpers, { snprintf: false });
	t.false(r.runtimes.bpf.available);
	t.regex(r.runtimes.bpf.reason ?? '', /no BPF ring buffer/);
	t.true(r.runtimes.kmod.available);
	t.throws(() => interpretTapprobe('{"schema": 2}'), { message: /unexpected document/ });
});

test('dynamic events (made at run time, not part of the kernel) are recognised', (t) => {
	const text = 'p:kprobes/myprobe do_sys_open\nu:uprobes/p_bash_0x4245c0 /bin/bash:0x00000000000c45c0\nr2:mygroup/ret_read vfs_read\ns:synthetic/wakeup_lat u64 lat\n';
	t.deepEqual([...parseDynamicEvents(text)], ['kprobes/myprobe', 'uprobes/p_bash_0x4245c0', 'mygroup/ret_read', 'synthetic/wakeup_lat']);
});
