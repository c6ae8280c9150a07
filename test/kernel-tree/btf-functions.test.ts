// Function names from raw BTF, checked against bpftool's reading of the
// same BTF (this machine's /sys/kernel/btf/vmlinux).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BtfError, btfFunctionNames } from '../../controller/kernel-tree/btf-functions.js';

test('the FUNC names are those bpftool lists', (t) => {
	const dump = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux'], { encoding: 'utf8', maxBuffer: 256 << 20 });
	const expected = [...new Set([...dump.matchAll(/^\[\d+\] FUNC '([^']+)'/gm)].map((m) => m[1]!))].sort();
	t.deepEqual(btfFunctionNames(readFileSync('/sys/kernel/btf/vmlinux')), expected);
});

test('what is not BTF is refused', (t) => {
	t.throws(() => btfFunctionNames(Buffer.alloc(64)), { instanceOf: BtfError, message: 'not little-endian BTF (bad magic)' });
});
