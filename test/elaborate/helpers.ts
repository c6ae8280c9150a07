// Shared helpers for the pass-2 tests: this host's real kernel profile,
// and pass 1 + pass 2 on a script text, in process.
import type { StapFile } from '../../controller/parse/ast.js';
import { hostTarget, newSession, runPass1 } from '../../controller/parse/index.js';
import { parseTapsets } from '../../controller/elaborate/library.js';
import { runPass2 } from '../../controller/elaborate/index.js';
import { printProgram } from '../../controller/elaborate/print.js';
import type { Program } from '../../controller/elaborate/program.js';
import { compileProfile } from '../../controller/elaborate/target-profile.js';
import { profileToPreprocessorTarget } from '../../controller/profile/preprocessor-target.js';
import type { KernelProfile } from '../../controller/profile/types.js';

let profilePromise: Promise<KernelProfile> | null = null;

/** The local host's profile (from the cache, else gathered once). */
export function localProfile(): Promise<KernelProfile> {
	profilePromise ??= compileProfile();
	return profilePromise;
}

export interface Elaborated {
	readonly program: Program | null;
	/** Everything stap would have written to stderr. */
	readonly stderr: string;
	/** The -p2 listing ('' on failure). */
	readonly listing: string;
}

export function elaborate(profile: KernelProfile, script: string, opts: { guru?: boolean; name?: string; tapsets?: StapFile[] } = {}): Elaborated {
	const target = profile ? profileToPreprocessorTarget(profile, { guruMode: opts.guru ?? false }) : hostTarget({});
	const p1 = runPass1({ target, scripts: [{ name: opts.name ?? '<input>', text: script }] });
	if (!p1.files) return { program: null, stderr: p1.session.diags.render(), listing: '' };
	const { program } = runPass2({ profile, session: p1.session, userFiles: p1.files, guru: opts.guru, tapsets: opts.tapsets });
	return { program, stderr: p1.session.diags.render(), listing: program ? printProgram(program) : '' };
}

/** The tapset library parsed once (for tests that elaborate hundreds of scripts). */
export function parsedTapsets(profile: KernelProfile): StapFile[] {
	return parseTapsets(newSession(profileToPreprocessorTarget(profile)), profile);
}

/** A copy of a profile that has kprobes (as a kmod target would), with extra kernel symbols. */
export function withKprobes(p: KernelProfile, symbols: string[]): KernelProfile {
	const functions = [...new Set([...p.symbols.functions, ...symbols])].sort();
	return {
		...p,
		capabilities: { ...p.capabilities, kprobe: { available: true } },
		symbols: { ...p.symbols, functions },
	};
}
