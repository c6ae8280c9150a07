// @cast(base, "T")->member... (a MemberRead of pass 2): the chain's offsets,
// a pointer loaded between two of them, then the member read. bpf:
// tap_member_read() (a fault is stap's "read fault [man error::fault] at 0x..."), on
// the user side through the module's reader program; kmod: the runtime's
// tap_kmod_member(), which raises it itself.
import type { BitField, MemberRead } from '../elaborate/program.js';
import type { Body } from './body.js';
import type { ExprGen } from './arrays.js';

/** The chain's steps and read as C; the value's C rvalue. */
export function readChain(b: Body, base: string, steps: readonly number[], size: number, signed: boolean, string: boolean, tok: MemberRead['tok'] | null, user = false): string {
	const dst = string ? b.strTemp() : b.longTemp();
	const list = `(const ${b.mod.bothSides ? 'long' : '__s64'}[]){ ${steps.join(', ')} }`;
	if (b.mod.bothSides) {
		b.line(`if (tap_kmod_member(c, (unsigned long)(${base}), ${list}, ${steps.length}, ${string ? dst : `&${dst}`}, ${size}, ${signed ? 1 : 0}, ${user ? 1 : 0}))`);
		b.lines.push({ depth: b.depth + 1, text: `goto ${b.errTarget};` });
		return dst;
	}
	const fault = b.longTemp();
	const reader = user ? 'tap_user_member_read' : 'tap_member_read';
	b.raiseIf(`${reader}((__u64)(${base}), ${list}, ${steps.length}, ${string ? dst : `&${dst}`}, ${size}, ${signed ? 1 : 0}, &${fault})`, user ? 'TAP_E_UREAD' : 'TAP_E_KREAD', tok, fault);
	return dst;
}

/**
 * A bitfield out of the bytes read for it (unsigned, little-endian): its
 * bits moved to the top, then back down, arithmetically where the member's
 * type is signed.
 */
export function bitFieldValue(read: string, bits: BitField, signed: boolean): string {
	const up = 64 - bits.shift - bits.width;
	return `((tap_long)((${signed ? '__s64' : '__u64'})((__u64)(${read}) << ${up}) >> ${64 - bits.width}))`;
}

/** readChain() of a chain that may end at a bitfield: the bytes unsigned, then the field's value. */
export function readChainValue(b: Body, base: string, steps: readonly number[], read: { size: number; signed: boolean; string: boolean; bits?: BitField }, tok: MemberRead['tok'] | null, user = false): string {
	if (!read.bits) return readChain(b, base, steps, read.size, read.signed, read.string, tok, user);
	return bitFieldValue(readChain(b, base, steps, read.size, false, false, tok, user), read.bits, read.signed);
}

export function genMember(b: Body, e: MemberRead, gen: ExprGen): string {
	// an address with no pointer to load on the way (&@cast(0, "T")[1]: sizeof) is arithmetic, on any side
	const readsMemory = !e.addressOf || e.steps.length > 1;
	if (readsMemory) b.readsKernelMemory();
	if (e.steps.length > 16) b.unsupported(e.tok, `a chain of ${e.steps.length} members (at most 16)`);
	const base = b.longTemp();
	b.line(`${base} = ${gen(b, e.base)};`);
	if (!e.addressOf) return readChainValue(b, base, e.steps, e, e.tok);
	// &...->member: the pointer loaded before the last step, plus its offset
	const last = e.steps[e.steps.length - 1]!;
	if (e.steps.length === 1) return `((tap_long)((__u64)(${base}) + ${last}))`;
	const ptr = readChain(b, base, e.steps.slice(0, -1), 8, false, false, e.tok);
	return `((tap_long)((__u64)(${ptr}) + ${last}))`;
}
