// Kernel function symbols from /proc/kallsyms (5 MB, 120k lines here) and
// the traceable subset from tracefs available_filter_functions. Lines are
// scanned in place rather than split into an array of lines first.

/** kallsyms types of text symbols: local and global, weak ones included. */
const TEXT_TYPES = new Set(['t', 'T', 'w', 'W']);

// Padding symbols in front of functions (CONFIG_FUNCTION_PADDING_CFI): not functions one can probe.
const PADDING_PREFIXES = ['__pfx_', '__cfi_'];

function isPadding(name: string): boolean {
	return PADDING_PREFIXES.some((p) => name.startsWith(p));
}

function sortedUnique(names: Set<string>): string[] {
	return [...names].sort();
}

/**
 * Names of the kernel's own text symbols ("ADDR TYPE NAME[\t[MODULE]]").
 * Symbols of loaded modules are left out: they belong to module("...")
 * probe points, not to kernel.function.
 */
export function parseKallsymsFunctions(text: string): string[] {
	const names = new Set<string>();
	let start = 0;
	while (start < text.length) {
		let end = text.indexOf('\n', start);
		if (end === -1) end = text.length;
		const typeAt = text.indexOf(' ', start) + 1;
		if (typeAt > 0 && typeAt < end && TEXT_TYPES.has(text[typeAt]) && text[typeAt + 1] === ' ') {
			const rest = text.slice(typeAt + 2, end);
			if (!rest.includes('\t') && !isPadding(rest)) names.add(rest);
		}
		start = end + 1;
	}
	return sortedUnique(names);
}

/** available_filter_functions: "NAME" or "NAME [MODULE]" per line; kernel ones only. */
export function parseFilterFunctions(text: string): string[] {
	const names = new Set<string>();
	for (const line of text.split('\n')) {
		if (line === '' || line.includes(' ')) continue;
		if (!isPadding(line)) names.add(line);
	}
	return sortedUnique(names);
}
