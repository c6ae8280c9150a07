// What `tapfleet compile -p2` prints: the -p2 listing on stdout, warnings
// and errors on stderr as stap writes them, and stap's closing line when
// elaboration failed.
import type { Pass1Result } from '../parse/index.js';
import type { KernelProfile } from '../profile/types.js';
import { runPass2 } from './index.js';
import { printProgram } from './print.js';
import { compileProfile } from './target-profile.js';

export interface PassOutcome {
	readonly stdout: string;
	readonly stderr: string;
	readonly ok: boolean;
}

export function pass2Outcome(p1: Pass1Result, profile: KernelProfile, guru: boolean): PassOutcome {
	const diags = p1.session.diags;
	if (!p1.files) return { stdout: '', stderr: diags.render() + 'Pass 1: parse failed.  [man error::pass1]\n', ok: false };
	const { program } = runPass2({ profile, session: p1.session, userFiles: p1.files, guru });
	const stderr = diags.render() + (program ? '' : 'Pass 2: analysis failed.  [man error::pass2]\n');
	return { stdout: program ? printProgram(program) : '', stderr, ok: program !== null };
}

/** -p2 from the command line: load the profile (a bad --profile file is one line on stderr), then elaborate. */
export async function pass2FromCommandLine(p1: Pass1Result, profilePath: string | undefined, guru: boolean): Promise<PassOutcome> {
	let profile: KernelProfile;
	try {
		profile = await compileProfile(profilePath);
	} catch (e) {
		return { stdout: '', stderr: `tapfleet compile: ${(e as Error).message}\n`, ok: false };
	}
	return pass2Outcome(p1, profile, guru);
}
