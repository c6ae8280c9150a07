// File-level declarations: probes and probe aliases, globals and privates,
// functions, and top-level embedded C (stap's parse_probe, parse_global,
// parse_private, parse_functiondecl, parse_embeddedcode).
import type { Block, EmbeddedCode, ExpType, FunctionDecl, ProbePoint, StapFile, VarDecl } from './ast.js';
import { ParseError } from './diagnostics.js';
import { isAlnum } from './lexer.js';
import type { Parser } from './parser.js';
import { parseProbePoints } from './probe-points.js';
import { parseLiteral, parseStmtBlock } from './statements.js';
import { isOp, type Token } from './token.js';

const INT_MAX = 0x7fffffffn;

export function parseProbe(p: Parser, f: StapFile): void {
	const t0 = p.next();
	if (!(t0.type === 'keyword' && t0.content === 'probe')) throw new ParseError("expected 'probe'");
	const aliasList = p.listOpen();
	let locations: ProbePoint[] = [];
	let epilogue = false;
	for (;;) {
		const pps = parseProbePoints(p);
		const t = p.peek();
		if (pps.length === 1 && (isOp(t, '=') || isOp(t, '+='))) {
			const pp = pps[0]!;
			if (pp.optional || pp.sufficient) {
				throw new ParseError('probe point alias name cannot be optional nor sufficient', pp.components[0]!.tok);
			}
			p.listAdd(pp);
			if (t!.content === '+=') epilogue = true;
			p.swallow();
			continue;
		}
		if (isOp(t, '{')) {
			locations = pps;
			break;
		}
		throw new ParseError('expected probe point specifier');
	}
	const aliases = p.listClose<ProbePoint>(aliasList);
	const systemtapVConditional = p.pp.systemtapVSeen;
	if (aliases.length === 0) {
		const body = parseStmtBlock(p);
		f.probes.push({ kind: 'probe', tok: t0, locations, body, privileged: p.flags.privileged, systemtapVConditional });
		return;
	}
	const body = parseStmtBlock(p);
	let body2: Block | null = null;
	const t = p.peek();
	if (t && t.content === ',') {
		if (epilogue) throw new ParseError("Combined prologue and epilogue cannot be defined with '+='");
		p.swallow();
		body2 = parseStmtBlock(p);
	}
	f.aliases.push({
		kind: 'probe_alias', tok: t0, aliasNames: aliases, locations, body, epilogueStyle: epilogue, body2,
		privileged: p.flags.privileged, systemtapVConditional: p.pp.systemtapVSeen ?? systemtapVConditional,
	});
}

export function parseEmbeddedCode(p: Parser): EmbeddedCode {
	const t = p.next();
	if (t.type !== 'embedded') throw new ParseError("expected '%{'");
	if (!p.flags.privileged) throw new ParseError('embedded code in unprivileged script; need stap -g', null, false);
	return { kind: 'embeddedcode', tok: t, code: t.content };
}

/** stap's detox_path: a file name made into an identifier fragment for private names. */
export function detoxPath(name: string): string {
	let out = '';
	for (let i = 0; i < name.length; i++) out += isAlnum(name.charCodeAt(i)) ? name[i] : '_';
	return out + '_';
}

export function parsePrivate(p: Parser, f: StapFile): void {
	let t = p.next();
	if (!(t.type === 'keyword' && t.content === 'private')) throw new ParseError("expected 'private'");
	p.swallow();
	t = p.next();
	if (t.type === 'keyword' && t.content === 'function') {
		p.swallow();
		p.context = 'function';
		doParseFunctionDecl(p, f, true);
	} else if (t.type === 'keyword' && t.content === 'global') {
		p.swallow();
		p.context = 'global';
		t = p.next();
		if (t.type !== 'identifier') throw new ParseError('expected identifier');
		doParseGlobal(p, f, t, true);
	} else if (t.type === 'identifier') {
		// `private x` is short for `private global x`.
		p.context = 'global';
		doParseGlobal(p, f, t, true);
	} else {
		throw new ParseError("expected 'function' or identifier");
	}
}

export function parseGlobal(p: Parser, f: StapFile): void {
	const t0 = p.next();
	if (!(t0.type === 'keyword' && t0.content === 'global')) throw new ParseError("expected 'global' or 'private'");
	p.swallow();
	doParseGlobal(p, f, null, false);
}

function doParseGlobal(p: Parser, f: StapFile, first: Token | null, priv: boolean): void {
	let iter0 = true;
	for (;;) {
		let t: Token | null = iter0 && priv ? first! : p.next();
		iter0 = false;
		if (t.type !== 'identifier') throw new ParseError('expected identifier');
		const gname = '__global_' + t.content;
		const pname = '__private_' + detoxPath(p.inputName) + t.content;
		const name = priv ? pname : gname;
		for (const g of f.globals) {
			if (g.name === name) throw new ParseError('duplicate global name');
			if (g.name === gname || g.name === pname) throw new ParseError('global versus private variable declaration conflict');
		}
		const d: VarDecl = {
			kind: 'vardecl', tok: t, name, unmangledName: t.content, type: 'unknown', wrap: false, maxsize: 0, arity: -1,
			init: null, isPrivate: priv, systemtapVConditional: p.pp.systemtapVSeen,
		};
		f.globals.push(d);

		t = p.peek();
		if (isOp(t, '%')) {
			d.wrap = true;
			p.swallow();
			t = p.peek();
		}
		if (isOp(t, '[')) {
			p.swallow();
			const size = p.expectNumber();
			if (size <= 0n || size > INT_MAX) throw new ParseError('array size out of range');
			d.maxsize = Number(size);
			p.expectKnown('operator', ']');
			t = p.peek();
		}
		if (isOp(t, '=')) {
			if (d.maxsize > 0) throw new ParseError('only scalar globals can be initialized');
			d.arity = 0;
			p.next();
			d.init = parseLiteral(p);
			d.type = d.init.kind === 'literal_string' ? 'string' : 'long';
			t = p.peek();
		}
		if (isOp(t, ';')) {
			p.swallow();
			break;
		}
		if (isOp(t, ',')) {
			p.swallow();
			continue;
		}
		break;
	}
}

export function parseFunctionDecl(p: Parser, f: StapFile): void {
	const t = p.next();
	if (!(t.type === 'keyword' && t.content === 'function')) throw new ParseError("expected 'function'");
	p.swallow();
	doParseFunctionDecl(p, f, false);
}

function parseTypeKeyword(p: Parser, site: string): ExpType {
	const t = p.next();
	let type: ExpType;
	if (t.type === 'keyword' && t.content === 'string') type = 'string';
	else if (t.type === 'keyword' && t.content === 'long') type = 'long';
	else throw new ParseError("expected 'string' or 'long'").from(site);
	p.swallow();
	return type;
}

function doParseFunctionDecl(p: Parser, f: StapFile, priv: boolean): void {
	let t: Token | null = p.next();
	if (!(t.type === 'identifier' || (t.type === 'keyword' && (t.content === 'string' || t.content === 'long')))) {
		throw new ParseError('expected identifier');
	}
	const base = priv ? '__private_' + detoxPath(p.inputName) + t.content : '__global_' + t.content;
	const overload = p.overloads.get(t.content) ?? 0;
	p.overloads.set(t.content, overload + 1);
	const fd: FunctionDecl = {
		kind: 'functiondecl', tok: t, name: `${base}__overload_${overload}`, unmangledName: t.content, type: 'unknown',
		formalArgs: [], body: { kind: 'block', tok: t, statements: [] }, priority: 1n, isPrivate: priv,
		systemtapVConditional: null,
	};

	t = p.next();
	if (isOp(t, ':')) {
		p.swallow();
		fd.type = parseTypeKeyword(p, 'function_type');
		t = p.next();
	}
	if (!isOp(t, '(')) throw new ParseError("expected '('");
	p.swallow();

	for (;;) {
		t = p.next();
		if (isOp(t, ')')) {
			p.swallow();
			break;
		}
		if (t.type !== 'identifier') throw new ParseError('expected identifier');
		const vd: VarDecl = {
			kind: 'vardecl', tok: t, name: t.content, unmangledName: t.content, type: 'unknown', wrap: false, maxsize: 0,
			arity: -1, init: null, isPrivate: false, systemtapVConditional: null,
		};
		if (fd.formalArgs.some((a) => a.unmangledName === vd.unmangledName)) throw new ParseError('duplicate parameter names');
		fd.formalArgs.push(vd);
		fd.systemtapVConditional = p.pp.systemtapVSeen;

		t = p.next();
		if (isOp(t, ':')) {
			p.swallow();
			vd.type = parseTypeKeyword(p, 'parameter_type');
			t = p.next();
		}
		if (isOp(t, ')')) {
			p.swallow();
			break;
		}
		if (isOp(t, ',')) {
			p.swallow();
			continue;
		}
		throw new ParseError("expected ',' or ')'");
	}

	t = p.peek();
	if (isOp(t, ':')) {
		p.swallow();
		const lit = parseLiteral(p);
		if (lit.kind !== 'literal_number') throw new ParseError('expected literal number');
		fd.priority = lit.value;
		if (fd.priority < 1n) throw new ParseError('specified priority must be > 0');
	} else if (p.flags.userFile) {
		fd.priority = 0n; // a script's own function overrides the library's
	}

	t = p.peek();
	fd.body = t && t.type === 'embedded' ? parseEmbeddedCode(p) : parseStmtBlock(p);
	f.functions.push(fd);
}
