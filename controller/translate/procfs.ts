// Pass 3 for procfs probes, shared by both runtimes: the descriptor that
// tells the runtime which file to offer, and $value, which is the
// runtime's buffer for the file (c->procfs_buf, runtime-c/common/tap_procfs.h)
// rather than a string of MAXSTRINGLEN.
import type { ConcreteProbe, TargetVar } from '../elaborate/program.js';
import type { ProcfsEvent } from '../elaborate/procfs.js';
import type { Body } from './body.js';
import { cStringRaw } from './c-text.js';
import { TranslateError } from './module-context.js';

/** stap's modes: 0400 for a read probe, 0200 for a write probe; .umask(U) takes U from 0444 or 0222. */
const DEFAULT_UMASK = 0o066;

export function procfsMode(e: ProcfsEvent): number {
	return (e.write ? 0o222 : 0o444) & ~(e.umask ?? DEFAULT_UMASK);
}

/** The probe table entry of a procfs probe. */
export function procfsDescriptor(e: ProcfsEvent, point: string, index: number): string {
	const kind = e.write ? 'TAP_PK_PROCFS_WRITE' : 'TAP_PK_PROCFS_READ';
	// a write probe's buffer holds what one write() brings, as stap's (STP_PROCFS_BUFSIZE)
	const size = e.maxsize !== null ? `${e.maxsize}` : 'STP_PROCFS_BUFSIZE';
	return `{ .point = ${cStringRaw(point)}, .kind = ${kind}, .procfs_path = ${cStringRaw(e.path)}, .procfs_mode = 0${procfsMode(e).toString(8)}, .procfs_bufsize = ${size}, .run = probe_${index} }`;
}

/** $value read in a write probe: the text written, in the runtime's buffer. */
export function bindProcfsValue(b: Body, v: TargetVar): boolean {
	if (v.source.kind !== 'procfs_value') return false;
	b.vars.set(v, 'c->procfs_buf');
	return true;
}

/** `$value = s` / `$value .= s` in a read probe: into the runtime's buffer, up to its size. */
export function assignProcfsValue(op: string, value: string): string {
	return `tap_procfs_${op === '.=' ? 'append' : 'set'}(c, ${value})`;
}

/** taprun serves at most this many FIFOs, a thread each (runtime-c/taprun/procfs.h). */
export const MAX_FIFOS = 64;

/**
 * The bpf runtime's files are FIFOs, one direction each: as stapbpf, not a
 * read and a write probe on one file; and at most MAX_FIFOS of them.
 */
export function checkFifoDirections(probes: readonly ConcreteProbe[]): void {
	const fifos = probes.filter((p) => p.event.kind === 'procfs');
	if (fifos.length > MAX_FIFOS) {
		throw new TranslateError(fifos[MAX_FIFOS]!.tok, `more than ${MAX_FIFOS} procfs files: the bpf runtime serves each FIFO with a thread of its own`);
	}
	const reads = new Set(probes.flatMap((p) => (p.event.kind === 'procfs' && !p.event.write ? [p.event.path] : [])));
	const both = probes.find((p) => p.event.kind === 'procfs' && p.event.write && reads.has(p.event.path));
	if (both && both.event.kind === 'procfs') {
		throw new TranslateError(both.tok, `procfs file "${both.event.path}" has a read and a write probe: the bpf runtime's procfs files are FIFOs, read or written (the kmod runtime allows both)`);
	}
}
