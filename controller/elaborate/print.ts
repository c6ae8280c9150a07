// The `stap -p2` listing (main.cxx printscript): "# globals" with
// name:type [key types], "# functions" sorted by mangled name with their
// parameter types and locals, "# probes" with the derivation chain and
// locals; then, when there are uprobes, "# user-space files": each probed
// file with the build-id (or hash) of the copy the offsets come from, as
// the module's manifest records it and the target must match.
import { formatFileIdentity, probedUserFiles } from '../module/user-files.js';
import type * as P from './program.js';

const typeName = (t: string): string => t;

function globalSig(g: P.GlobalVar): string {
	let s = g.name + (g.wrap ? '%' : '') + (g.maxSize > 0 ? `[${g.maxSize}]` : '') + ':' + typeName(g.type);
	if (g.keys && g.keys.length > 0) s += ` [${g.keys.join(', ')}]`;
	return s;
}

function localLines(locals: readonly P.LocalVar[]): string {
	if (locals.length === 0) return '';
	return '  # locals\n' + locals.map((l) => `  ${l.name}:${l.type}\n`).join('');
}

/** stap's derived_probe::printsig: the concrete point, then what it came from. */
export function probeSignature(p: P.ConcreteProbe): string {
	// Innermost alias first: each derived probe names the one it was derived from.
	const chain = [...p.derivation].reverse().concat(p.written);
	return `${p.point} /* <- ${chain.join(' <- ')} */`;
}

export function printProgram(prog: P.Program): string {
	let out = '';
	if (prog.embeds.length > 0) out += '# global embedded code\n' + prog.embeds.map((e) => `%{${e}%}\n`).join('');
	if (prog.globals.length > 0) out += '# globals\n' + prog.globals.map((g) => globalSig(g) + '\n').join('');
	if (prog.functions.length > 0) {
		out += '# functions\n';
		for (const f of prog.functions) {
			out += `${f.name}:${f.returnType} (${f.params.map((p) => `${p.name}:${p.type}`).join(', ')})\n`;
			if (f.body.kind === 'script') out += localLines(f.body.locals);
		}
	}
	if (prog.probes.length > 0) {
		out += '# probes\n';
		for (const p of prog.probes) out += probeSignature(p) + '\n' + localLines(p.locals);
	}
	const files = probedUserFiles(prog.probes);
	if (files.length > 0) out += '# user-space files\n' + files.map((f) => `${f.path} ${f.kind} ${formatFileIdentity(f)}\n`).join('');
	return out;
}
