// usage: node scripts/vm/extract-vmlinux.mjs KERNEL-IMAGE OUT
// Writes the vmlinux ELF inside a bzImage (or copies an ELF) to OUT, using the
// controller's own extraction so the VM boots exactly what the controller
// reads its build-id from. Needs the build (dist/).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

const [image, out] = process.argv.slice(2);
if (!image || !out) {
	process.stderr.write('usage: extract-vmlinux.mjs KERNEL-IMAGE OUT\n');
	process.exit(2);
}
let mod;
try {
	mod = await import(new URL('../../dist/controller/kernel-tree/bzimage.js', import.meta.url).href);
} catch {
	process.stderr.write('extract-vmlinux: dist/ is missing: run `npm run build` first\n');
	process.exit(1);
}
try {
	const vmlinux = mod.vmlinuxFromKernelImage(readFileSync(image), image);
	writeFileSync(`${out}.tmp`, vmlinux);
	renameSync(`${out}.tmp`, out);
} catch (err) {
	process.stderr.write(`extract-vmlinux: ${err.message}\n`);
	process.exit(1);
}
