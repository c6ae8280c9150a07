// The argument descriptions of a SystemTap SDT marker (sys/sdt.h), as the
// assembler wrote them into the note: "-4@%ebp", "8@-80(%rbx)", "4@$1",
// "8@NBuffers(%rip)". Each says how many bytes the argument has, whether it
// is signed, and where its value is at the marker: a register, memory at a
// register plus a displacement, or a constant. x86-64 only, as the runtimes.

/** Where one marker argument is: a register, memory it points into (plus a displacement), or a constant. */
export type SdtOperand =
	/** The low `size` bytes of register `reg` (a pt_regs field), shifted right by `shift` bits first (%ah). */
	| { readonly kind: 'register'; readonly reg: string; readonly shift: number; readonly size: number; readonly signed: boolean }
	/** `size` bytes of the traced process's memory at base + index * scale + disp. */
	| { readonly kind: 'memory'; readonly base: string; readonly index: string | null; readonly scale: number; readonly disp: bigint; readonly size: number; readonly signed: boolean }
	| { readonly kind: 'constant'; readonly value: bigint; readonly size: number; readonly signed: boolean }
	/** An operand tapfleet cannot read (a symbol relative to %rip, a segment register): `why` says which. */
	| { readonly kind: 'unsupported'; readonly text: string; readonly why: string };

/** x86-64 register names -> [pt_regs field, right shift]; every width names its 64-bit register. */
const REGISTERS: ReadonlyMap<string, readonly [string, number]> = (() => {
	const m = new Map<string, readonly [string, number]>();
	for (const r of ['ax', 'bx', 'cx', 'dx']) {
		const l = r[0]!;
		for (const n of [`r${r}`, `e${r}`, r, `${l}l`]) m.set(n, [r, 0]);
		m.set(`${l}h`, [r, 8]);
	}
	for (const r of ['si', 'di', 'bp', 'sp']) for (const n of [`r${r}`, `e${r}`, r, `${r}l`]) m.set(n, [r, 0]);
	for (let i = 8; i <= 15; i++) for (const s of ['', 'd', 'w', 'b']) m.set(`r${i}${s}`, [`r${i}`, 0]);
	return m;
})();

const SIZES = new Set([1, 2, 4, 8]);

/** The pt_regs field and shift of a register operand ("%r14d"), or null. */
function register(text: string): readonly [string, number] | null {
	return text.startsWith('%') ? (REGISTERS.get(text.slice(1)) ?? null) : null;
}

/** One argument description, e.g. "-4@%ebp"; a description without "N@" (old notes) is a signed long. */
export function parseSdtOperand(text: string): SdtOperand {
	const at = /^(-?)(\d+)@(.*)$/.exec(text);
	const signed = at ? at[1] === '-' : true;
	const size = at ? Number(at[2]) : 8;
	const op = at ? at[3]! : text;
	const unsupported = (why: string): SdtOperand => ({ kind: 'unsupported', text, why });
	if (!SIZES.has(size)) return unsupported(`an argument of ${size} bytes`);
	if (op.startsWith('$')) {
		const n = /^\$(-?(?:0x[0-9a-f]+|\d+))$/i.exec(op);
		if (!n) return unsupported(`the constant '${op}'`);
		const v = n[1]!.startsWith('-') ? -BigInt(n[1]!.slice(1)) : BigInt(n[1]!);
		return { kind: 'constant', value: v, size, signed };
	}
	const reg = register(op);
	if (reg) return { kind: 'register', reg: reg[0], shift: reg[1], size, signed };
	// disp(%base[,%index[,scale]]): disp a number; a symbol (sym(%rip), sym+8(%rip)) needs the load address
	const mem = /^([^(]*)\((%[a-z0-9]+)?(?:,(%[a-z0-9]+)(?:,([1248]))?)?\)$/.exec(op);
	if (!mem) return unsupported(`the operand '${op}'`);
	const [, dispText, baseText, indexText, scaleText] = mem;
	if (baseText === '%rip') return unsupported(`a location relative to %rip ('${op}')`);
	const base = baseText ? register(baseText) : null;
	const index = indexText ? register(indexText) : null;
	if (!base || base[1] !== 0 || (indexText && (!index || index[1] !== 0))) return unsupported(`the operand '${op}'`);
	let disp = 0n;
	if (dispText) {
		const d = /^(-?)(0x[0-9a-f]+|\d+)$/i.exec(dispText);
		if (!d) return unsupported(`the displacement '${dispText}'`);
		disp = d[1] ? -BigInt(d[2]!) : BigInt(d[2]!);
	}
	return { kind: 'memory', base: base[0], index: index ? index[0] : null, scale: scaleText ? Number(scaleText) : 1, disp, size, signed };
}

/** A marker's argument string ("8@%rbx 8@%r15"), one operand per argument. */
export function parseSdtArguments(args: string): SdtOperand[] {
	const t = args.trim();
	return t === '' ? [] : t.split(/\s+/).map(parseSdtOperand);
}
