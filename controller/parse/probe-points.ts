// Probe points: dotted components with optional literal arguments, globs
// glued from adjacent tokens (`sys_*`, `**`), `{a,b}` alternatives expanded
// as a cartesian product, `?`/`!` and `if (cond)` suffixes (stap's
// parse_probe_points, parse_components, parse_component).
import type { ProbePoint, ProbePointComponent } from './ast.js';
import { ParseError } from './diagnostics.js';
import { parseExpression } from './expressions.js';
import type { Parser } from './parser.js';
import { parseLiteral } from './statements.js';
import { isKeyword, isOp } from './token.js';

export function parseProbePoints(p: Parser): ProbePoint[] {
	const pps = p.listOpen();
	for (;;) {
		for (const pp of parseComponents(p)) p.listAdd(pp);
		const t = p.peek();
		if (isOp(t, ',')) {
			p.swallow();
			continue;
		}
		if (t && t.type === 'operator' && (t.content === '{' || t.content === '=' || t.content === '+=' || t.content === '}')) break;
		throw new ParseError("expected one of ', { } = +='");
	}
	return p.listClose(pps);
}

function parseComponents(p: Parser): ProbePoint[] {
	let pps: ProbePoint[] = [];
	for (;;) {
		const suffix = parseComponent(p);
		if (pps.length === 0) {
			pps = suffix;
		} else {
			const product = p.listOpen();
			for (const prefix of pps) {
				if (prefix.optional || prefix.sufficient || prefix.condition) {
					throw new ParseError("'?', '!' or condition must only be specified in suffix", prefix.components[0]!.tok);
				}
				for (const s of suffix) {
					const components = p.listOpen();
					for (const c of prefix.components) p.listAdd(c);
					for (const c of s.components) p.listAdd(c);
					const pp: ProbePoint = {
						components: p.listClose(components),
						optional: s.optional,
						sufficient: s.sufficient,
						condition: s.condition,
						autoPath: p.flags.autoPath ? s.autoPath : null,
					};
					p.listAdd(pp);
				}
			}
			pps = p.listClose(product);
		}

		let t = p.peek();
		if (isOp(t, '.')) {
			p.swallow();
			continue;
		}
		// The end of a probe point: optional '?'/'!', then an optional condition.
		if (isOp(t, '?') || isOp(t, '!')) {
			for (const pp of pps) {
				if (pp.optional || pp.sufficient) throw new ParseError("'?' or '!' respecified");
				pp.optional = true;
				if (t!.content === '!') pp.sufficient = true;
			}
			p.swallow();
			t = p.peek();
		}
		if (isKeyword(t, 'if')) {
			p.swallow();
			if (!p.peekOp('(')) throw new ParseError("expected '('");
			p.swallow();
			const e = parseExpression(p);
			for (const pp of pps) {
				if (pp.condition !== null) throw new ParseError('condition respecified');
				pp.condition = e;
			}
			if (!p.peekOp(')')) throw new ParseError("expected ')'");
			p.swallow();
		}
		return pps;
	}
}

function parseComponent(p: Parser): ProbePoint[] {
	const t = p.next();
	if (!(t.type === 'identifier' || t.type === 'keyword' || (t.type === 'operator' && (t.content === '*' || t.content === '{')))) {
		throw new ParseError("expected identifier or '*' or '{'");
	}
	if (t.content === '{' && t.type === 'operator') {
		p.swallow();
		p.enter();
		const pps = parseProbePoints(p);
		if (!p.peekOp('}')) throw new ParseError("expected '}'");
		p.swallow();
		p.leave();
		return pps;
	}
	// Glue adjacent identifier/keyword/'*' pieces into one name with wildcards.
	let functor = t.content;
	for (;;) {
		const u = p.peek();
		if (u === null || p.lexer.ateWhitespace) break;
		if (!(u.type === 'identifier' || u.type === 'keyword' || (u.type === 'operator' && u.content === '*'))) break;
		functor += u.content;
		p.swallow();
	}
	if (functor !== t.content) t.content = functor;
	const c: ProbePointComponent = { tok: t, functor, arg: null };
	const pp: ProbePoint = {
		components: [c], optional: false, sufficient: false, condition: null,
		autoPath: p.flags.autoPath ? p.inputName : null,
	};
	if (p.peekOp('(')) {
		p.swallow();
		c.arg = parseLiteral(p);
		const close = p.next();
		if (!isOp(close, ')')) throw new ParseError("expected ')'");
		p.swallow();
	}
	return [pp];
}
