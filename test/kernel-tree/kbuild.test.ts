// kbuild against the installed Debian headers (the VM kernel's tree): a
// module with a compile error fails with the compiler's own located message.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KbuildError, kbuildModules } from '../../controller/kernel-tree/kbuild.js';
import { locateKernelTree } from '../../controller/kernel-tree/locate.js';

const dir = mkdtempSync(join(tmpdir(), 'tapfleet-kbuild-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const release = execFileSync('dpkg-query', ['-W', '-f=${Depends}', 'linux-headers-amd64'], { encoding: 'utf8' }).split(' ')[0]!.replace(/^linux-headers-/, '');

test('a compile error is reported with file:line:col, not swallowed', async (t) => {
	t.timeout(120_000);
	writeFileSync(join(dir, 'Kbuild'), 'obj-m := broken.o\n');
	writeFileSync(join(dir, 'broken.c'), '#include <linux/module.h>\nstatic int __init b_init(void)\n{\n\treturn undeclared_thing;\n}\nmodule_init(b_init);\nMODULE_LICENSE("GPL");\n');
	const err = await t.throwsAsync(kbuildModules(locateKernelTree({ release }), dir), { instanceOf: KbuildError });
	t.regex(err?.message ?? '', new RegExp(`^kbuild in ${dir} against -r ${release.replace(/\./g, '\\.')} failed \\(make exited with status 2\\):\\n`));
	t.regex(err?.output ?? '', /broken\.c:4:16: error: .undeclared_thing. undeclared/);
});
