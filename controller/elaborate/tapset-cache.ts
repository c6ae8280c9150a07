// Our tapsets' parse, kept by a long-lived process (the warm runner) from
// one run to the next: parsing them is most of what pass 2 costs a new
// script there (~26 ms of ~50). A parse is reused only when everything it
// depends on is the same: the tapset directory's files (their tree stamp,
// watched in the runner), the kernel profile (the same object, kept while
// its file is unchanged: the syscall and GFP tapsets are made from it), the
// preprocessor's target, the script arguments, the library macros the
// tapsets may use, and how many times the user's files already declared
// each function name the tapsets declare (overloads are numbered across
// files, user files first). A parse that reported anything is not kept, so
// its messages come again with every run. Pass 2 reads tapset trees and
// never changes them (the autoprint pass and the elaborator's corpus test
// already share one parse between elaborations).
import type { StapFile } from '../parse/ast.js';
import type { ParseSession } from '../parse/index.js';
import type { KernelProfile } from '../profile/types.js';
import { treeStamp, treeStampsWatched } from '../build/tree-stamp.js';

interface KeptParse {
	key: string;
	files: StapFile[];
	/** Function declarations per name in the tapsets: added to the session's overload counts on reuse. */
	declared: Map<string, number>;
	/** The session's counts of those names before the tapsets were parsed. */
	before: string;
}

const kept = new WeakMap<KernelProfile, KeptParse>();

function keyOf(session: ParseSession, dir: string): string {
	const t = session.target;
	const macros = [...session.libraryMacros].map(([name, m]) => `${name}(${m.formalArgs.join(',')})${m.context}=${m.body.map((b) => b.content).join(' ')}`);
	return JSON.stringify([treeStamp(dir), t.kernelRelease, t.arch, t.runtime, t.privilege, t.guruMode, t.compatible, [...t.kernelConfig], session.args, macros]);
}

/** How many times each of `names` was declared so far, as one comparable string. */
function countsOf(overloads: ReadonlyMap<string, number>, names: Iterable<string>): string {
	return JSON.stringify([...names].map((n) => overloads.get(n) ?? 0));
}

/**
 * The tapsets' files, parsed by `parse` or taken from the last parse with
 * the same inputs (only in a process that watches tree stamps: the runner).
 */
export function keptTapsetParse(session: ParseSession, profile: KernelProfile, dir: string, parse: () => StapFile[]): StapFile[] {
	if (!treeStampsWatched()) return parse();
	const key = keyOf(session, dir);
	const k = kept.get(profile);
	if (k && k.key === key && k.before === countsOf(session.overloads, k.declared.keys())) {
		for (const [name, n] of k.declared) session.overloads.set(name, (session.overloads.get(name) ?? 0) + n);
		return k.files;
	}
	const overloadsBefore = new Map(session.overloads);
	const reported = session.diags.list.length;
	const files = parse();
	if (session.diags.list.length !== reported) {
		kept.delete(profile);
		return files;
	}
	const declared = new Map<string, number>();
	for (const [name, n] of session.overloads) {
		const added = n - (overloadsBefore.get(name) ?? 0);
		if (added > 0) declared.set(name, added);
	}
	const before = countsOf(overloadsBefore, declared.keys());
	kept.set(profile, { key, files, declared, before });
	return files;
}
