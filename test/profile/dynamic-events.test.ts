// A uprobe event made through uprobe_events appears in tracefs, but it is
// this session's, not the kernel's: the profile must not list it.
import test from 'ava';
import { appendFileSync, existsSync } from 'node:fs';
import { ensureTracefs } from '../../controller/profile/mounts.js';
import { readTracepoints } from '../../controller/profile/tracepoints.js';

test('dynamic events are left out of the tracepoint list', async (t) => {
	const tracefs = await ensureTracefs();
	if (!('path' in tracefs)) return t.fail(tracefs.reason);
	const group = 'tapfleet_profile_test';
	const event = `probe_${process.pid}`;
	appendFileSync(`${tracefs.path}/uprobe_events`, `p:${group}/${event} /bin/true:0x1000\n`);
	try {
		t.true(existsSync(`${tracefs.path}/events/${group}/${event}/format`), 'the uprobe event exists in tracefs');
		const { tracepoints } = readTracepoints(tracefs.path);
		t.false(tracepoints.some((tp) => tp.system === group));
		t.true(tracepoints.some((tp) => tp.system === 'syscalls'));
	} finally {
		appendFileSync(`${tracefs.path}/uprobe_events`, `-:${group}/${event}\n`);
	}
});
