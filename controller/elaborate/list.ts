// `tapfleet list PATTERN` / `list -L PATTERN` (stap -l / -L): the probe
// points of the target kernel that match a pattern, each once, sorted; with
// -L also the variables a handler can use there: the alias's locals
// (name:type) and the target variables ($name:C type). Where a name expands
// to several probes (syscall.open: open, openat, openat2) only the
// variables they all have are shown, as stap does.
import { newSession, parseFile } from '../parse/index.js';
import type { KernelProfile } from '../profile/types.js';
import { profileToPreprocessorTarget } from '../profile/preprocessor-target.js';
import { runPass2 } from './index.js';
import { tracepointTargets } from './primitives.js';
import type { ConcreteProbe, TargetVar } from './program.js';

export interface ListResult {
	readonly stdout: string;
	readonly stderr: string;
	readonly ok: boolean;
}

export function listProbes(pattern: string, profile: KernelProfile, withVars: boolean): ListResult {
	const session = newSession(profileToPreprocessorTarget(profile));
	const text = `probe ${pattern} {}\n`;
	const file = parseFile(session, { name: '<list>', contents: text, synthetic: false }, {
		privileged: false, userFile: true, autoPath: false, errorsAsWarnings: false, checkCompatible: true,
	});
	if (!file) return { stdout: '', stderr: session.diags.render(), ok: false };
	const { program } = runPass2({ profile, session, userFiles: [file], keepUnused: true });
	if (!program) return { stdout: '', stderr: session.diags.render(), ok: false };
	const byName = new Map<string, string[][]>();
	for (const p of program.probes) {
		const vars = withVars
			? [...p.locals.map((l) => `${l.name}:${l.type}`), ...targetVarsOf(p)]
			: [];
		const list = byName.get(p.named) ?? [];
		list.push(vars);
		byName.set(p.named, list);
	}
	const names = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
	const lines = names.map((n) => {
		if (!withVars) return n;
		const sets = byName.get(n)!;
		const common = sets[0]!.filter((v) => sets.every((s) => s.includes(v)));
		return [n, ...new Set(common)].join(' ');
	});
	return { stdout: lines.map((l) => l + '\n').join(''), stderr: session.diags.render(), ok: true };
}

/** Every target variable of the probe's event (not only those the body used), as $name:ctype. */
function targetVarsOf(p: ConcreteProbe): string[] {
	const targets = p.event.kind === 'tracepoint' ? tracepointTargetList(p) : p.targetVars;
	return targets.map((t) => `${t.name}:${t.cType}`);
}

function tracepointTargetList(p: ConcreteProbe): TargetVar[] {
	if (p.event.kind !== 'tracepoint') return [];
	return [...tracepointTargets(p.event.tracepoint).values()];
}

