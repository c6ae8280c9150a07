// C for one SDT marker argument (process("...").mark("...") $argN), the same
// text for both runtimes: each defines TAP_UREG(field), the traced task's
// user register at the marker (bpf: the uprobe's pt_regs through CO-RE;
// kmod: the uprobe handler's), and TAP_USER_READ(type, addr), a read of its
// memory that gives 0 where the page is not there (as user_long()).
import type { SdtOperand } from '../elaborate/sdt-operand.js';
import type { ConcreteProbe } from '../elaborate/program.js';
import { TranslateError } from './module-context.js';

const C_TYPES: Record<number, readonly [string, string]> = { 1: ['__s8', '__u8'], 2: ['__s16', '__u16'], 4: ['__s32', '__u32'], 8: ['__s64', '__u64'] };

const cType = (size: number, signed: boolean): string => C_TYPES[size]![signed ? 0 : 1];

/** A C expression of type tap_long for marker argument `name` of probe `p`; a TranslateError for one tapfleet cannot read. */
export function sdtArgumentOf(name: string, op: SdtOperand, p: ConcreteProbe): string {
	const c = sdtArgument(op);
	if (c === null) throw new TranslateError(p.tok, `${name} of ${p.point} is ${op.kind === 'unsupported' ? op.why : 'unreadable'}, which tapfleet cannot read yet`);
	return c;
}

/** A C expression of type tap_long for the operand; null for one tapfleet cannot read. */
export function sdtArgument(op: SdtOperand): string | null {
	switch (op.kind) {
		case 'register': {
			const reg = op.shift ? `(TAP_UREG(${op.reg}) >> ${op.shift})` : `TAP_UREG(${op.reg})`;
			return `(tap_long)(${cType(op.size, op.signed)})${reg}`;
		}
		case 'memory': {
			const index = op.index ? ` + TAP_UREG(${op.index}) * ${op.scale}` : '';
			const disp = op.disp === 0n ? '' : op.disp < 0n ? ` - ${-op.disp}` : ` + ${op.disp}`;
			return `TAP_USER_READ(${cType(op.size, op.signed)}, TAP_UREG(${op.base})${index}${disp})`;
		}
		case 'constant':
			return `(tap_long)(${cType(op.size, op.signed)})${op.value}${op.value > 0x7fffffffffffffffn ? 'ULL' : 'LL'}`;
		case 'unsupported':
			return null;
	}
}
