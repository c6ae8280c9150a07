// The SDT argument descriptions gcc's assembler writes (controller/elaborate/sdt-operand.ts).
import test from 'ava';
import { parseSdtArguments, parseSdtOperand } from '../../controller/elaborate/sdt-operand.js';

test('registers of every width name their pt_regs field; %ah-style ones shift', (t) => {
	t.deepEqual(parseSdtOperand('8@%rax'), { kind: 'register', reg: 'ax', shift: 0, size: 8, signed: false });
	t.deepEqual(parseSdtOperand('-4@%r14d'), { kind: 'register', reg: 'r14', shift: 0, size: 4, signed: true });
	t.deepEqual(parseSdtOperand('-1@%sil'), { kind: 'register', reg: 'si', shift: 0, size: 1, signed: true });
	t.deepEqual(parseSdtOperand('1@%ah'), { kind: 'register', reg: 'ax', shift: 8, size: 1, signed: false });
	t.deepEqual(parseSdtOperand('2@%r9w'), { kind: 'register', reg: 'r9', shift: 0, size: 2, signed: false });
});

test('memory at a register plus a displacement, with an index and a scale; constants', (t) => {
	t.deepEqual(parseSdtOperand('8@-80(%rbx)'), { kind: 'memory', base: 'bx', index: null, scale: 1, disp: -80n, size: 8, signed: false });
	t.deepEqual(parseSdtOperand('-4@(%r12)'), { kind: 'memory', base: 'r12', index: null, scale: 1, disp: 0n, size: 4, signed: true });
	t.deepEqual(parseSdtOperand('4@0x10(%rdi,%rcx,8)'), { kind: 'memory', base: 'di', index: 'cx', scale: 8, disp: 16n, size: 4, signed: false });
	t.deepEqual(parseSdtOperand('-4@$-7'), { kind: 'constant', value: -7n, size: 4, signed: true });
	t.deepEqual(parseSdtOperand('8@$0x2000'), { kind: 'constant', value: 8192n, size: 8, signed: false });
	// an old note without N@: a signed long
	t.deepEqual(parseSdtOperand('%rdi'), { kind: 'register', reg: 'di', shift: 0, size: 8, signed: true });
});

test('what tapfleet cannot read says why', (t) => {
	t.like(parseSdtOperand('8@NBuffers(%rip)'), { kind: 'unsupported', why: "a location relative to %rip ('NBuffers(%rip)')" });
	t.like(parseSdtOperand('4@52+CheckpointStats(%rip)'), { kind: 'unsupported' });
	t.like(parseSdtOperand('3@%rax'), { kind: 'unsupported', why: 'an argument of 3 bytes' });
	t.like(parseSdtOperand('8@%xmm0'), { kind: 'unsupported' });
	t.like(parseSdtOperand('8@sym'), { kind: 'unsupported' });
	t.deepEqual(parseSdtArguments('  '), []);
	t.is(parseSdtArguments('8@%rbx -4@-12(%rbp) 4@$1').length, 3);
});
