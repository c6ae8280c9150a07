// The pg package as the audit uses it, loaded for about half its CPU.
//
// pg decides at load time whether it runs in a Cloudflare Worker
// (pg/lib/stream.js): without a global `navigator` (Node 20 has none) it
// constructs a `Response`, and that first touch of the global loads Node's
// whole fetch implementation (undici): 36 ms of CPU to load pg here, 19 ms
// without it. Every `tapfleet run` with a PostgreSQL log is a new process
// that pays this, at the start of its run. So pg is required synchronously
// with a `navigator` that says Node.js, present only during that call (no
// other code runs meanwhile) and only if there is none; Node 21 and later
// have their own, and pg then takes the same path with it.
import { createRequire } from 'node:module';
import { useSynchronousScram } from './pg-scram-sync.js';

type Pg = typeof import('pg');

function loadPg(): Pg {
	const g = globalThis as { navigator?: unknown };
	const shim = g.navigator === undefined;
	if (shim) Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node}` }, configurable: true, writable: true });
	try {
		return createRequire(import.meta.url)('pg') as Pg;
	} finally {
		if (shim) delete g.navigator;
	}
}

export const pg = loadPg();
useSynchronousScram();
