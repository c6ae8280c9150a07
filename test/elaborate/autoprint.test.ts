// stap's display of written-but-unread globals at the end
// (elaborate.cxx add_global_var_display): pass 2 adds one `probe end` per
// such global of the user's script, after the script's own probes.
import test from 'ava';
import { walkStmt } from '../../controller/elaborate/walk.js';
import { elaborate, localProfile } from './helpers.js';

test('written-but-unread user globals get a synthetic end probe each, last; read ones do not', async (t) => {
	const r = elaborate(await localProfile(), 'global n, seen, st, arr\nprobe begin { n = 1; seen = 2; st <<< 3; arr["k", 4] = "v"; println(seen) }\nprobe end { }');
	t.is(r.stderr, '');
	const probes = r.program!.probes;
	t.deepEqual(probes.map((p) => p.point), ['begin', 'end', 'end', 'end', 'end']);
	const globals = new Map(r.program!.globals.map((g) => [g.name, g]));
	for (const name of ['n', 'st', 'arr']) t.true(globals.get(name)!.read, `${name} is read by its display`);
	const formats: string[] = [];
	for (const p of probes.slice(2)) walkStmt(p.body, (e) => { if (e.kind === 'print' && e.rawFormat) formats.push(e.rawFormat); });
	t.deepEqual(formats, [
		'n=%d\\n',
		'st @count=0x0\\n',
		'st @count=%#d @min=%#d @max=%#d @sum=%#d @avg=%#d\\n',
		'arr["%#s",%#d]="%#s"\\n',
	]);
});

test('a script whose globals are all read gets no extra probes', async (t) => {
	const r = elaborate(await localProfile(), 'global n\nprobe begin { n = 1; println(n) }');
	t.deepEqual(r.program!.probes.map((p) => p.point), ['begin']);
});
