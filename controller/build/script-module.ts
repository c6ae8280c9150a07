// Passes 3 and 4 together: an elaborated program → its C → a module
// directory (through the module cache). The module is named like stap's
// (stap_<hash>): tap_ and the start of the script's hash, unless -m NAME.
import type { Program } from '../elaborate/program.js';
import type { Translation } from '../translate/translate.js';
import { probedUserFiles } from '../module/user-files.js';
import type { ModuleBuildResult } from './build-module.js';
import type { BuildTarget } from './target.js';
import { sha256 } from './toolchain.js';

export interface ScriptBuildRequest {
	program: Program;
	/** The script text as given (recorded in the manifest). */
	scriptText: string;
	/** The script's name for comments: a path or <input>. */
	scriptName: string;
	/** -m NAME */
	moduleName?: string;
	target: BuildTarget;
	/** -D NAME=VALUE */
	defines?: Record<string, string>;
	/** -d FILE: symbol tables for usymname() and the like (canonical paths) */
	symbolFiles?: readonly string[];
	cacheDir?: string;
}

export function defaultModuleName(scriptText: string): string {
	return `tap_${sha256(scriptText).slice(0, 16)}`;
}

export async function buildScriptModule(req: ScriptBuildRequest): Promise<ModuleBuildResult & { translation: Translation }> {
	const name = req.moduleName ?? defaultModuleName(req.scriptText);
	// loaded on use: a cached script needs neither
	const [{ translate }, { buildModule }] = await Promise.all([import('../translate/translate.js'), import('./build-module.js')]);
	const translation = translate(req.program, { name, scriptName: req.scriptName, symbolFiles: req.symbolFiles });
	const built = await buildModule({
		name,
		source: translation.source,
		scriptText: req.scriptText,
		target: req.target,
		defines: req.defines,
		probes: translation.probes,
		globals: translation.globals,
		runsCommands: translation.runsCommands,
		userFiles: probedUserFiles(req.program.probes),
		cacheDir: req.cacheDir,
	});
	return { ...built, translation };
}

