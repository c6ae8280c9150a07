// process("PATH").mark("NAME") and process("PATH").provider("P").mark("NAME"):
// a uprobe on each SDT marker of the file whose name (and provider) match,
// with the marker's arguments as $arg1..$argN, read where its note says
// they are, and $$name, $$provider, $$parms (stap's sdt_query).
import type { ProbePoint } from '../parse/ast.js';
import type { KernelProfile } from '../profile/types.js';
import { SemanticError } from './diagnostics.js';
import type { ElfFile } from './elf-symbols.js';
import type { SdtMarker } from './elf-sdt.js';
import { globMatch } from './glob.js';
import type { PrimitiveMatch } from './primitives.js';
import type { TargetVar } from './program.js';

/** The target variables of one marker: its arguments, and which marker it is. */
export class MarkTargets extends Map<string, TargetVar> {
	constructor(readonly marker: SdtMarker) {
		super();
		marker.args.forEach((operand, index) => {
			const name = `$arg${index + 1}`;
			this.set(name, { kind: 'target', name, type: 'long', cType: 'long', pointer: false, source: { kind: 'sdt_arg', index, operand } });
		});
	}
}

/**
 * The markers of `elf` that `pattern` (and `provider`, when given) names,
 * as probes. A DTrace-style name ("query-start") matches its note's
 * spelling ("query__start"), as stap's does.
 */
export function matchMarks(elf: ElfFile, path: string, provider: string | null, pattern: string, pp: ProbePoint, profile: KernelProfile): PrimitiveMatch[] {
	const cap = profile.capabilities.uprobe;
	if (!cap.available && !profile.runtimes.kmod.available) {
		throw new SemanticError(`process(...).mark probes need uprobes, which kernel ${profile.release} does not have${cap.reason ? ` (${cap.reason})` : ''}`, pp.components[0]!.tok);
	}
	const wanted = pattern.replaceAll('-', '__');
	const found = elf.markers.filter((m) => globMatch(wanted, m.name) && (provider === null || globMatch(provider, m.provider)));
	if (found.length === 0 && elf.markers.length === 0) {
		throw new SemanticError(`'${path}' has no SDT markers (no .note.stapsdt section)`, pp.components[0]!.tok);
	}
	return found.map((m) => ({
		event: { kind: 'uprobe', path, symbol: '', offset: m.fileOffset, isReturn: false, file: elf.identity, ...(m.semaphoreOffset ? { semaphore: m.semaphoreOffset } : {}) },
		point: `process("${path}").provider("${m.provider}").mark("${m.name}")`,
		targets: new MarkTargets(m),
	}));
}
