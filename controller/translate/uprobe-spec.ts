// Where a uprobe goes, as both runtimes read it (runtime-c/common/
// tap_uprobe_spec.h): the kernel's uprobe_events syntax, "PATH:0xOFFSET",
// and "(0xSEMAPHORE)" after it for an SDT marker with a semaphore.
import type { ProbeEvent } from '../elaborate/program.js';

export function uprobeSpec(e: Extract<ProbeEvent, { kind: 'uprobe' }>): string {
	const at = `${e.path}:0x${e.offset.toString(16)}`;
	return e.semaphore ? `${at}(0x${e.semaphore.toString(16)})` : at;
}
