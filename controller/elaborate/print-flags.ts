// A trace event's flag names, from its format file's print fmt: the
// `__print_flags(REC->FIELD, "|", { VALUE, "NAME" }, ...)` table the kernel
// prints the field with. The values are C constant expressions as the
// preprocessor left them (`(( gfp_t)((((1UL))) << (10)))`), evaluated here
// as the kernel's 64-bit unsigned arithmetic; so tapsets name flags with
// the target kernel's own values and names, whatever its version.

export interface FlagName {
	readonly name: string;
	readonly value: bigint;
}

const MASK = (1n << 64n) - 1n;
const TYPE_WORDS = new Set(['unsigned', 'signed', 'long', 'int', 'short', 'char', 'gfp_t', '__force', 'u32', 'u64']);

/** The value of a C integer constant expression of numbers, casts, ( ), ~ and binary | & ^ << >> + - *; null if it is something else. */
export function evalCConstant(text: string): bigint | null {
	const tokens = text.match(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[()~|&^+\-*]|\S/g) ?? [];
	let i = 0;
	const peek = () => tokens[i];
	const isCast = (): boolean => {
		if (peek() !== '(') return false;
		let j = i + 1;
		while (j < tokens.length && TYPE_WORDS.has(tokens[j]!)) j++;
		return j > i + 1 && tokens[j] === ')';
	};
	const unary = (): bigint => {
		const t = peek();
		if (t === '~') return (i++, ~unary() & MASK);
		if (t === '-') return (i++, -unary() & MASK);
		if (isCast()) {
			while (tokens[i] !== ')') i++;
			i++;
			return unary();
		}
		if (t === '(') {
			i++;
			const v = binary(0);
			if (tokens[i++] !== ')') throw new Error('unbalanced');
			return v;
		}
		if (t && /^(0[xX][0-9a-fA-F]+|\d+)[uUlL]*$/.test(t)) return (i++, BigInt(t.replace(/[uUlL]+$/, '')) & MASK);
		throw new Error(`unexpected ${t}`);
	};
	const PRECEDENCE: Record<string, number> = { '|': 1, '^': 2, '&': 3, '<<': 4, '>>': 4, '+': 5, '-': 5, '*': 6 };
	const binary = (min: number): bigint => {
		let left = unary();
		for (let op = peek(); op && PRECEDENCE[op] !== undefined && PRECEDENCE[op]! > min; op = peek()) {
			i++;
			const right = binary(PRECEDENCE[op]!);
			switch (op) {
				case '|': left |= right; break;
				case '^': left ^= right; break;
				case '&': left &= right; break;
				case '<<': left = (left << (right & 63n)) & MASK; break;
				case '>>': left >>= right & 63n; break;
				case '+': left = (left + right) & MASK; break;
				case '-': left = (left - right) & MASK; break;
				case '*': left = (left * right) & MASK; break;
			}
		}
		return left;
	};
	try {
		const v = binary(0);
		return i === tokens.length ? v : null;
	} catch {
		return null;
	}
}

/** The flag table `__print_flags(REC->field, ...)` in a print fmt, in its order; null where there is none or a value is not a constant. */
export function printFlagsTable(printFmt: string, field: string): FlagName[] | null {
	const start = printFmt.indexOf(`__print_flags(REC->${field},`);
	if (start < 0) return null;
	const table: FlagName[] = [];
	// entries are { VALUE, "NAME" }: a value has parentheses but no braces; the table ends where its call does
	let depth = 0;
	let end = start;
	for (; end < printFmt.length; end++) {
		if (printFmt[end] === '(') depth++;
		else if (printFmt[end] === ')' && --depth === 0) break;
	}
	for (const m of printFmt.slice(start, end).matchAll(/\{([^{}]*),\s*"([^"]+)"\s*\}/g)) {
		const value = evalCConstant(m[1]!);
		if (value === null) return null;
		table.push({ name: m[2]!, value });
	}
	return table.length ? table : null;
}
