// fnmatch(3)-style globs as stap uses them on probe point names: `*`, `?`,
// `[...]`; and `{a,b}` alternatives, expanded before matching.

const cache = new Map<string, RegExp>();

function toRegExp(pattern: string): RegExp {
	let re = '^';
	for (let i = 0; i < pattern.length; i++) {
		const ch = pattern[i]!;
		if (ch === '*') re += '.*';
		else if (ch === '?') re += '.';
		else if (ch === '[') {
			const end = pattern.indexOf(']', i + 2);
			if (end < 0) re += '\\[';
			else {
				let set = pattern.slice(i + 1, end);
				if (set.startsWith('!')) set = '^' + set.slice(1);
				re += '[' + set.replace(/\\/g, '\\\\') + ']';
				i = end;
			}
		} else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
	}
	return new RegExp(re + '$');
}

export function isGlob(s: string): boolean {
	return /[*?[]/.test(s);
}

export function globMatch(pattern: string, s: string): boolean {
	if (!isGlob(pattern)) return pattern === s;
	let re = cache.get(pattern);
	if (!re) {
		re = toRegExp(pattern);
		cache.set(pattern, re);
	}
	return re.test(s);
}

/** `a{b,c}d` → [abd, acd]; nested and repeated groups are expanded too. */
export function expandBraces(s: string): string[] {
	const open = s.indexOf('{');
	if (open < 0) return [s];
	let depth = 0;
	let close = -1;
	const commas: number[] = [];
	for (let i = open; i < s.length; i++) {
		if (s[i] === '{') depth++;
		else if (s[i] === '}' && --depth === 0) {
			close = i;
			break;
		} else if (s[i] === ',' && depth === 1) commas.push(i);
	}
	if (close < 0) return [s];
	const parts: string[] = [];
	let start = open + 1;
	for (const c of [...commas, close]) {
		parts.push(s.slice(start, c));
		start = c + 1;
	}
	const head = s.slice(0, open);
	const tail = s.slice(close + 1);
	return parts.flatMap((p) => expandBraces(head + p + tail));
}
