// print, println, printd, printdln, printf, print_char and their string
// forms. Every format goes into the module's format table in stap's syntax
// (the runtime formats it like stap's vsprintf.c); arguments are computed
// first, then one record is reserved and filled, so nothing can fail
// between reserve and submit.
import type { Expr, PrintCall } from '../elaborate/program.js';
import type { FormatComponent } from '../parse/ast.js';
import type { ExprGen } from './arrays.js';
import { fillKey, histStat, readAggregate } from './arrays.js';
import type { Body } from './body.js';
import { formatArgKinds, formatLiteral, renderFormat } from './format.js';
import { TranslateError } from './module-context.js';

interface FormatPlan {
	format: string;
	/** The expressions that supply the format's arguments, in order. */
	args: Expr[];
	kinds: ('long' | 'string')[];
}

function plan(e: PrintCall): FormatPlan {
	// the format as written when pass 2 keeps it (stap's runtime parses it again, flags and all)
	const raw = (e as PrintCall & { rawFormat?: string }).rawFormat;
	if (e.format) return { format: raw ?? renderFormat(e.format), args: [...e.args], kinds: formatArgKinds(e.format) };
	if (e.name === 'print_char' || e.name === 'sprint_char') return { format: '%c', args: [...e.args], kinds: ['long'] };
	let format = '';
	const args: Expr[] = [];
	const kinds: ('long' | 'string')[] = [];
	e.args.forEach((a, i) => {
		if (i > 0 && e.delimiter !== null) format += formatLiteral(e.delimiter);
		if (a.kind === 'string') format += formatLiteral(a.value);
		else if (a.kind === 'number') format += a.value.toString();
		else {
			format += a.type === 'string' ? '%s' : '%d';
			args.push(a);
			kinds.push(a.type === 'string' ? 'string' : 'long');
		}
	});
	if (e.newline) format += '\n';
	return { format, args, kinds };
}

export function genPrint(b: Body, e: PrintCall, gen: ExprGen): string {
	if (e.hist) return genPrintHist(b, e, gen);
	const p = plan(e);
	if (p.kinds.length !== p.args.length) throw new TranslateError(e.tok, `${e.name}: the format takes ${p.kinds.length} arguments, ${p.args.length} given`);
	if (p.kinds.length > 32) throw new TranslateError(e.tok, `${e.name}: more than 32 arguments`);
	// evaluate every argument before reserving the record
	const values = p.args.map((a, i) => {
		const v = gen(b, a);
		if (p.kinds[i] === 'string') {
			if (a.type !== 'string') throw new TranslateError(a.tok, `${e.name}: argument ${i + 1} must be a string`);
			return v;
		}
		if (/^-?\d+LL$/.test(v)) return v;
		const t = b.longTemp();
		b.line(`${t} = ${v};`);
		return t;
	});
	const strValues = values.map((v, i) => {
		// a string argument read from a variable could change in a later argument: copy it
		if (p.kinds[i] !== 'string' || /^(str_\d+|l->s\d+)$/.test(v)) return v;
		const s = b.strTemp();
		b.line(`tap_str_copy(${s}, ${v});`);
		return s;
	});
	const result = e.toStream ? '0' : b.strTemp();
	if (!e.toStream && b.side === 'kernel') return kernelSprint(b, e, p, strValues, result);
	const fmt = b.mod.format(p.format);
	const a = `rec${b.label('')}`;
	b.cLocals.push(`void *${a};`);
	let nl = 0;
	let ns = 0;
	for (const k of p.kinds) k === 'long' ? nl++ : ns++;
	b.line(`${a} = tap_printf_reserve(c, ${fmt}, TAP_ARGS_SIZE(${nl}, ${ns}));`);
	b.open(`if (${a}) {`);
	nl = 0;
	ns = 0;
	p.kinds.forEach((k, i) => {
		const off = `TAP_ARGS_SIZE(${nl}, ${ns})`;
		if (k === 'long') {
			b.line(`tap_arg_long(${a}, ${off}, ${strValues[i]});`);
			nl++;
		} else {
			b.line(`tap_arg_str(${a}, ${off}, ${strValues[i]});`);
			ns++;
		}
	});
	b.line(e.toStream ? `tap_printf_submit(c, ${a});` : `tap_sprintf_submit(c, ${result}, ${a});`);
	if (!e.toStream) {
		b.close('} else {');
		b.depth++;
		b.line(`${result}[0] = '\\0';`);
	}
	b.close();
	return result;
}

/**
 * sprintf in a kernel-side probe, through the kernel's bpf_snprintf: the
 * format is rewritten for its subset (64-bit numbers take "ll"); numbers
 * it cannot format (%o, a precision, '#', %p with a width) the generated
 * code makes first, and strings with a precision it cuts first; a '*'
 * width or precision, or more zeros than MADE_DIGITS_MAX, made and padded
 * at run time (starDirective()); what is left (%b, %m, %M) needs a
 * user-side probe.
 * sprint, sprintln, sprintd, sprintdln and sprint_char have the format
 * their plan made (only %d, %s and %c in it).
 */
function kernelSprint(b: Body, e: PrintCall, p: FormatPlan, values: string[], dst: string): string {
	const kernel = e.format
		? kernelFormat(b, e, e.format)
		: { fmt: p.format.replace(/%(%|d|s|c)/g, (m: string, c: string) => (c === 'd' ? '%lld' : m)), numbers: new Map<number, MadeNumber>(), cuts: new Map<number, number>(), stars: new Map<number, StarDirective>() };
	const name = b.mod.kernelFormat(kernel.fmt);
	// a '*' width or precision is an argument of its own, used here and not passed on
	const consumed = new Set([...kernel.stars.values()].flatMap((st) => [st.widthArg, st.precisionArg].filter((x): x is number => x !== null)));
	const passed = values.map((_, i) => i).filter((i) => !consumed.has(i));
	// bpf_snprintf takes 12 (a '*' is not one of them)
	if (passed.length > 12) b.unsupported(e.tok, `${e.name}() with more than 12 arguments`);
	// in the locals struct, not on the stack: a function of several sprintfs kept an array each there, past the BPF stack's 512 bytes
	const args = b.field('__u64', 'kargs', Math.max(1, passed.length));
	passed.forEach((i, slot) => {
		const v = values[i]!;
		const n = kernel.numbers.get(i);
		const cut = kernel.cuts.get(i);
		const star = kernel.stars.get(i);
		if (star !== undefined) {
			b.line(`${args}[${slot}] = (__u64)(long)(${starDirective(b, star, v, values)});`);
		} else if (n !== undefined) {
			const o = b.strTemp();
			b.line(`tap_gen_number(${o}, ${v}, ${n.base}, ${n.precision}, ${n.zeroWidth}, ${n.flags});`);
			b.line(`${args}[${slot}] = (__u64)(long)(${o});`);
		} else if (cut !== undefined) {
			const o = b.strTemp();
			b.line(`bpf_probe_read_kernel_str(${o}, ${cut} + 1 < MAXSTRINGLEN ? ${cut} + 1 : MAXSTRINGLEN, ${v});`);
			b.line(`${args}[${slot}] = (__u64)(long)(${o});`);
		} else {
			b.line(`${args}[${slot}] = ${p.kinds[i] === 'string' ? `(__u64)(long)(${v})` : `(__u64)(${v})`};`);
		}
	});
	b.line(`TAP_SPRINTF_KERNEL(${dst}, ${name}, ${args}, ${passed.length});`);
	return dst;
}

/**
 * A directive with a '*' width or precision: its value made into a string
 * here (a number as stap's runtime makes it, a string cut to the
 * precision, a character), then padded to the width at run time (a
 * negative width, as in C: left-justified), as bpf_snprintf's %s then
 * takes it. Returns the C string.
 */
function starDirective(b: Body, st: StarDirective, v: string, values: readonly string[]): string {
	const width = b.longTemp();
	const left = b.longTemp();
	b.line(`${width} = ${st.widthArg !== null ? values[st.widthArg] : String(st.width ?? 0)};`);
	b.line(`${left} = ${st.left ? 1 : 0} || ${width} < 0;`);
	b.line(`${width} = ${width} < 0 ? -${width} : ${width};`);
	// a negative '*' precision is 0, as stap's runtime takes it (the C library's would be none); -1 here: none written
	const precision = st.precisionArg !== null ? `(${values[st.precisionArg]} < 0 ? 0 : ${values[st.precisionArg]})` : String(st.precision ?? -1);
	const made = b.strTemp();
	if (st.number) {
		b.line(`tap_gen_number(${made}, ${v}, ${st.number.base}, (int)(${precision} < 0 ? 0 : ${precision}), 0, ${st.number.flags});`);
		if (st.precisionArg !== null || (st.precision ?? 0) > MADE_DIGITS_MAX) {
			// tap_gen_number() makes at most MADE_DIGITS_MAX digits: a longer precision's zeros come here
			const digits = b.strTemp();
			b.line(`tap_pad(${digits}, ${made}, tap_num_prefix_len(${made}) + ${precision}, tap_num_prefix_len(${made}), '0');`);
			b.line(`tap_str_copy(${made}, ${digits});`);
		}
	} else if (st.char) {
		b.line(`${made}[0] = (char)(${v});`);
		b.line(`${made}[1] = '\\0';`);
	} else {
		const p = b.longTemp();
		b.line(`${p} = ${precision};`);
		b.line(`bpf_probe_read_kernel_str(${made}, ${p} >= 0 && ${p} + 1 < MAXSTRINGLEN ? ${p} + 1 : MAXSTRINGLEN, ${v});`);
	}
	// spaces on the side the justification leaves; a '0'-flagged number right-justified: zeros after its sign and prefix
	const padded = b.strTemp();
	const rightAt = st.number && st.zeropad ? `tap_num_prefix_len(${made})` : '0';
	const fill = st.number && st.zeropad ? `(${left} ? ' ' : '0')` : "' '";
	b.line(`tap_pad(${padded}, ${made}, ${width}, ${left} ? MAXSTRINGLEN : ${rightAt}, ${fill});`);
	return padded;
}

/** A number the generated code formats itself (tap_gen_number()), passed to bpf_snprintf as %s. */
interface MadeNumber {
	base: number;
	precision: number;
	zeroWidth: number;
	flags: string;
}

/** A directive with a '*' width or precision (its value made and padded at run time: starDirective()). */
interface StarDirective {
	/** The argument index of the width and of the precision when they are '*'. */
	widthArg: number | null;
	precisionArg: number | null;
	/** A written width or precision. */
	width: number | null;
	precision: number | null;
	left: boolean;
	zeropad: boolean;
	/** A number's base and tap_gen_number() flags; null for a string or a character. */
	number: { base: number; flags: string } | null;
	char: boolean;
}

/** A directive made and padded at run time (starDirective()); `widthArg`, `precisionArg`: the arguments of its '*'s. */
function starOf(c: FormatComponent, widthArg: number | null, precisionArg: number | null): StarDirective {
	const constant = (x: number | '*' | null) => (x === null || x === '*' ? null : Number(x));
	return {
		widthArg, precisionArg, width: constant(c.width), precision: constant(c.precision), left: c.flags.left, zeropad: c.flags.zeropad,
		number: c.type === 'number' || c.type === 'pointer' ? { base: c.type === 'pointer' ? 16 : c.base, flags: numberFlags(c) } : null,
		char: c.type === 'char',
	};
}

/** tap_gen_number()'s flags for a number or pointer directive. */
function numberFlags(c: FormatComponent): string {
	return [
		c.flags.sign && c.type === 'number' ? 'TAP_NUM_SIGNED' : '', c.flags.plus ? 'TAP_NUM_PLUS' : '', c.flags.space ? 'TAP_NUM_SPACE' : '',
		c.flags.special || c.type === 'pointer' ? 'TAP_NUM_ALT' : '', c.flags.large ? 'TAP_NUM_UPPER' : '',
	].filter(Boolean).join(' | ') || '0';
}

/** The most digits tap_gen_number() makes (22 octal digits hold 64 bits). */
const MADE_DIGITS_MAX = 22;

/**
 * A written format in bpf_snprintf's terms, the arguments whose numbers
 * the generated code makes first (bpf_snprintf has no %o, no precision and
 * no '#'), and the strings it cuts first (a precision), by argument index.
 */
function kernelFormat(b: Body, e: PrintCall, format: NonNullable<PrintCall['format']>): { fmt: string; numbers: Map<number, MadeNumber>; cuts: Map<number, number>; stars: Map<number, StarDirective> } {
	let fmt = '';
	const numbers = new Map<number, MadeNumber>();
	const cuts = new Map<number, number>();
	const stars = new Map<number, StarDirective>();
	let arg = 0;
	const unsupported = () => b.unsupported(e.tok, `this ${e.name}() directive (beyond what bpf_snprintf and tapfleet make of it: %b, %m, %M)`);
	for (const c of format) {
		if (c.type === 'literal') {
			fmt += c.literal.replace(/%/g, '%%');
			continue;
		}
		const widthArg = c.width === '*' ? arg++ : null;
		const precisionArg = c.precision === '*' ? arg++ : null;
		const at = arg++;
		if (widthArg !== null || precisionArg !== null) {
			if (c.type !== 'number' && c.type !== 'pointer' && c.type !== 'string' && c.type !== 'char') unsupported();
			stars.set(at, starOf(c, widthArg, precisionArg));
			fmt += '%s';
			continue;
		}
		const width = c.width === null ? null : Number(c.width);
		const precision = c.precision === null ? null : Number(c.precision);
		const padded = `%${c.flags.left ? '-' : ''}${width ?? ''}s`;
		if (c.type === 'pointer' && width === null && precision === null) {
			fmt += '0x%llx'; // stap's %p is %#x
			continue;
		}
		const number = c.type === 'pointer' || (c.type === 'number' && (c.base === 8 || precision !== null || c.flags.special));
		if (number) {
			// made here as stap's runtime makes it: sign, prefix, zeros, digits; the width pads the string
			const zeroWidth = c.flags.zeropad && !c.flags.left && width !== null ? width : 0;
			if ((precision ?? 0) > MADE_DIGITS_MAX || zeroWidth > MADE_DIGITS_MAX) {
				// more zeros than tap_gen_number() makes: made and padded at run time, as a '*' is
				stars.set(at, starOf(c, null, null));
				fmt += '%s';
				continue;
			}
			numbers.set(at, { base: c.type === 'pointer' ? 16 : c.base, precision: precision ?? 0, zeroWidth, flags: numberFlags(c) });
			fmt += padded;
			continue;
		}
		if (c.type === 'string' && precision !== null) {
			// at most `precision` characters: cut first, then padded as any string
			cuts.set(at, precision);
			fmt += padded;
			continue;
		}
		const conv = c.type === 'string' ? 's' : c.type === 'char' ? 'c' : c.type === 'number' ? (c.base === 16 ? (c.flags.large ? 'llX' : 'llx') : c.flags.sign ? 'lld' : 'llu') : null;
		if (!conv || precision !== null) unsupported();
		fmt += `%${c.flags.left ? '-' : ''}${c.flags.plus ? '+' : ''}${c.flags.space ? ' ' : ''}${c.flags.zeropad ? '0' : ''}${width ?? ''}${conv}`;
	}
	return { fmt, numbers, cuts, stars };
}

function genPrintHist(b: Body, e: PrintCall, gen: ExprGen): string {
	const h = e.hist!;
	if (!e.toStream && b.side === 'kernel') b.unsupported(e.tok, `${e.name} of a histogram`);
	const g = histStat(h);
	if (b.side === 'kernel') {
		// the user side aggregates and prints it, in order with the other output
		const key = fillKey(b, g, h.stat.kind === 'index' ? h.stat.keys : [], gen, 'read');
		b.line(`TAP_PRINT_HIST(c, ${b.mod.global(g)}, ${b.mod.mapIndex(g)}, ${key});`);
		return '0';
	}
	const agg = readAggregate(b, h.stat, gen);
	b.raiseIf(`${agg}->count == 0`, 'TAP_E_EMPTY_AGG', h.tok);
	if (e.toStream) {
		b.line(`tap_print_hist(c, &${b.mod.global(g)}_desc, ${agg});`);
		return '0';
	}
	// sprint(@hist_*(s)): the same drawing, into a string (truncated to MAXSTRINGLEN - 1)
	const dst = b.strTemp();
	b.open('{');
	b.line('struct tap_buf hb;');
	b.line('');
	b.line(`tap_buf_init_string(&hb, ${dst}, MAXSTRINGLEN);`);
	b.line(`tap_stat_print_hist(&hb, &${b.mod.global(g)}_desc, ${agg});`);
	b.line('tap_buf_end_string(&hb);');
	b.close();
	return dst;
}
