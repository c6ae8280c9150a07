// What a compile says on stderr, as the user sees it: the compiler works
// on byte strings (latin1 in JS), so its messages go out as those bytes,
// read as UTF-8; -w (stap -w) leaves the warnings out.
import { withoutWarnings } from '../../controller/parse/diagnostics.js';

export function diagnosticsText(stderr: string, quietWarnings: boolean): string {
	const text = Buffer.from(stderr, 'latin1').toString('utf8');
	return quietWarnings ? withoutWarnings(text) : text;
}
