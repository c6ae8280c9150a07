// The C prober on its own: its JSON, and that it refuses nothing silently.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { tapprobePath } from '../../controller/profile/capabilities.js';
import { ensureTracefs } from '../../controller/profile/mounts.js';

test('tapprobe reports every probe kind with ok or a located errno', async (t) => {
	const tracefs = await ensureTracefs();
	t.true('path' in tracefs);
	const doc = JSON.parse(execFileSync(tapprobePath(), ['path' in tracefs ? tracefs.path : ''], { encoding: 'utf8' }));
	t.is(doc.schema, 1);
	const names = ['btf', 'tracepoint', 'raw_tracepoint', 'btf_tracepoint', 'fentry', 'uprobe', 'perf_event', 'kprobe', 'kprobe_multi', 'bpf_loop', 'ringbuf', 'modules'];
	for (const n of names) {
		const r = doc.probes[n];
		t.truthy(r, n);
		if (!r.ok) {
			t.true(['setup', 'load', 'attach', 'create', 'syscall'].includes(r.stage), n);
			t.regex(r.error, /^E[A-Z]+$/, n);
			t.true(r.errno > 0, n);
		}
	}
	t.true(doc.probes.tracepoint.ok, 'with tracefs mounted the tracepoint probe attaches');
});

test('tapprobe without tracefs reports a setup failure for tracepoints, not a crash', (t) => {
	const doc = JSON.parse(execFileSync(tapprobePath(), ['/nonexistent'], { encoding: 'utf8' }));
	t.deepEqual(
		{ ok: doc.probes.tracepoint.ok, stage: doc.probes.tracepoint.stage, error: doc.probes.tracepoint.error },
		{ ok: false, stage: 'setup', error: 'ENOENT' },
	);
	t.true(doc.probes.raw_tracepoint.ok);
});
