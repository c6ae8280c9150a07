// Evaluation of one preprocessor comparison `%( LEFT OP RIGHT ...`, as stap's
// eval_pp_conditional, answered from a PreprocessorTarget.
import { ParseError } from './diagnostics.js';
import { kernelBaseRelease, type PreprocessorTarget } from './target.js';
import type { Token } from './token.js';
import { fnmatch, strverscmp } from './versions.js';

function compare<T extends bigint | string>(lhs: T, op: Token, rhs: T): boolean {
	if (op.type === 'operator') {
		switch (op.content) {
			case '<=': return lhs <= rhs;
			case '>=': return lhs >= rhs;
			case '<': return lhs < rhs;
			case '>': return lhs > rhs;
			case '==': return lhs === rhs;
			case '!=': return lhs !== rhs;
		}
	}
	throw new ParseError('expected comparison operator', op).from(`eval_comparison<${typeof lhs}>`);
}

/** stap's lex_cast<int64_t>: a leading decimal integer, as iostream reads it. */
function lexCastInt(tok: Token): bigint {
	const m = /^\s*[+-]?\d+/.exec(tok.content);
	if (!m) throw new ParseError('expected number', tok);
	const v = BigInt(m[0].trim());
	if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) throw new ParseError('number invalid or out of range', tok);
	return v;
}

/** strtoll(s, &end, 0) with the whole string consumed, or null. */
function strtollWhole(s: string): bigint | null {
	if (s === "") return 0n; // no digits: strtoll returns 0 and consumes nothing
	const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
	if (!m) return null;
	const digits = m[2]!;
	let v = digits.length > 1 && digits[0] === '0' && !/^0[xX]/.test(digits) ? BigInt('0o' + digits.slice(1)) : BigInt(digits);
	if (m[1] === '-') v = -v;
	if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) return null;
	return v;
}

/** `==` or `!=` on a match; `site` names the condition kind (stap's throw sites differ per kind). */
function equalityMatch(op: Token, nomatch: boolean, site: string): boolean {
	if (op.type === 'operator' && op.content === '==') return !nomatch;
	if (op.type === 'operator' && op.content === '!=') return nomatch;
	throw new ParseError("expected '==' or '!='", op).from(`${site}:op`);
}

function expectString(r: Token, site: string): string {
	if (r.type !== 'string') throw new ParseError('expected string literal', r).from(`${site}:rhs`);
	return r.content;
}

function versionCompare(target: string, op: Token, r: Token): boolean {
	const query = expectString(r, 'version');
	const wildcard = /[*?[]/.test(query);
	let ok1: number, ok2: number, wcOk = false;
	switch (op.type === 'operator' ? op.content : '') {
		case '<=': ok1 = -1; ok2 = 0; break;
		case '>=': ok1 = 1; ok2 = 0; break;
		case '<': ok1 = -1; ok2 = -1; break;
		case '>': ok1 = 1; ok2 = 1; break;
		case '==': ok1 = 0; ok2 = 0; wcOk = true; break;
		case '!=': ok1 = -1; ok2 = 1; wcOk = true; break;
		default: throw new ParseError('expected comparison operator', op);
	}
	if (!wcOk && wildcard) throw new ParseError('wildcard not allowed with order comparison operators', op);
	if (wildcard) return fnmatch(query, target) === (op.content === '==');
	const r0 = Math.sign(strverscmp(target, query));
	return r0 === ok1 || r0 === ok2;
}

export function evalCondition(target: PreprocessorTarget, l: Token, op: Token, r: Token): boolean {
	if (l.type === 'identifier') {
		switch (l.content) {
			case 'kernel_v': return versionCompare(kernelBaseRelease(target.kernelRelease), op, r);
			case 'kernel_vr': return versionCompare(target.kernelRelease, op, r);
			case 'systemtap_v': return versionCompare(target.compatible, op, r);
			case 'systemtap_privilege': return equalityMatch(op, target.privilege !== expectString(r, 'privilege'), 'privilege');
			case 'guru_mode': {
				if (r.type !== 'number') throw new ParseError('expected number', r);
				const rhs = lexCastInt(r);
				if (rhs !== 0n && rhs !== 1n) throw new ParseError('expected 0 or 1', op);
				if (!(op.type === 'operator' && (op.content === '==' || op.content === '!='))) {
					throw new ParseError("expected '==' or '!='", op).from('guru_mode:op');
				}
				return compare(target.guruMode ? 1n : 0n, op, rhs);
			}
			case 'arch': return equalityMatch(op, !fnmatch(expectString(r, 'arch'), target.arch), 'arch');
			case 'runtime': return equalityMatch(op, !fnmatch(expectString(r, 'runtime'), target.runtime), 'runtime');
		}
		if (l.content.startsWith('CONFIG_')) return configCompare(target, l, op, r);
	}
	if (l.type === 'string' && r.type === 'string') return compare(l.content, op, r.content);
	if (l.type === 'number' && r.type === 'number') return compare(lexCastInt(l), op, lexCastInt(r));
	if (l.type === 'string' && r.type === 'number' && op.type === 'operator') {
		throw new ParseError('expected string literal as right value', r);
	}
	if (l.type === 'number' && r.type === 'string' && op.type === 'operator') {
		throw new ParseError('expected number literal as right value', r);
	}
	throw new ParseError("expected 'arch', 'kernel_v', 'kernel_vr', 'systemtap_v',\n"
		+ "             'runtime', 'systemtap_privilege', 'CONFIG_...', or\n"
		+ '             comparison between strings or integers', l);
}

function configCompare(target: PreprocessorTarget, l: Token, op: Token, r: Token): boolean {
	const lhs = target.kernelConfig.get(l.content) ?? '';
	if (r.type === 'string') return equalityMatch(op, !fnmatch(r.content, lhs), 'config');
	if (r.type === 'number') {
		const n = strtollWhole(lhs);
		if (n === null) throw new ParseError('Config option value not a number', l);
		return compare(n, op, lexCastInt(r));
	}
	if (r.type === 'identifier' && r.content.startsWith('CONFIG_')) {
		const rhs = target.kernelConfig.get(r.content) ?? '';
		const a = strtollWhole(lhs), b = strtollWhole(rhs);
		if (a !== null && b !== null) return compare(a, op, b);
		return compare(lhs, op, rhs);
	}
	throw new ParseError('expected string, number literal or other CONFIG_... as right side operand', r);
}
