// SystemTap's own tapset library (~125k lines, with .stpm macro files) parses
// without a single error or warning, the way stap's pass 1a reads it (-g).
import test from 'ava';
import { existsSync } from 'node:fs';
import { hostTarget, loadLibraryMacros, newSession, parseLibrary } from '../../controller/parse/index.js';
import { DEFAULT_TAPSET_DIR, libraryFiles } from '../../controller/parse/library.js';

test('the whole tapset library parses with -g, without errors or warnings', (t) => {
	t.true(existsSync(DEFAULT_TAPSET_DIR), `${DEFAULT_TAPSET_DIR} missing (package systemtap-common)`);
	const session = newSession(hostTarget({ guruMode: true }));
	loadLibraryMacros(session, [DEFAULT_TAPSET_DIR]);
	t.true(session.libraryMacros.size > 50, `only ${session.libraryMacros.size} library macros`);
	const expected = libraryFiles([DEFAULT_TAPSET_DIR], session.target, '.stp');
	const files = parseLibrary(session, [DEFAULT_TAPSET_DIR]);
	t.is(session.diags.render(), '');
	t.is(files.length, expected.length);
	t.true(files.length > 400, `only ${files.length} tapset files`);
	const probes = files.reduce((n, f) => n + f.probes.length + f.aliases.length, 0);
	const functions = files.reduce((n, f) => n + f.functions.length, 0);
	t.true(probes > 1000 && functions > 500, `${probes} probes/aliases, ${functions} functions`);
});

test('every tapset directory variant (bpf, dyninst runtimes; other arches) parses too', (t) => {
	for (const [runtime, arch] of [['bpf', 'x86_64'], ['dyninst', 'x86_64'], ['kernel', 'arm64'], ['kernel', 'i386'], ['kernel', 's390']] as const) {
		const session = newSession(hostTarget({ guruMode: true, runtime, arch }));
		loadLibraryMacros(session, [DEFAULT_TAPSET_DIR]);
		parseLibrary(session, [DEFAULT_TAPSET_DIR]);
		t.is(session.diags.render(), '', `${runtime}/${arch}`);
	}
});
