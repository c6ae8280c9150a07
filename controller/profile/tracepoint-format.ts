// Parser for one tracefs `events/SYSTEM/EVENT/format` file:
//   name: sys_enter_openat
//   ID: 782
//   format:
//   	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
//   	...
//   	field:const char * filename;	offset:24;	size:8;	signed:0;
//   print fmt: "dfd: 0x%08lx, ...", ...
import type { TracepointField } from './types.js';

export interface ParsedTracepointFormat {
	name: string;
	id: number;
	/** common_* fields, the same for every event. */
	commonFields: TracepointField[];
	fields: TracepointField[];
	printFmt: string;
}

export class TracepointFormatError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'TracepointFormatError';
	}
}

// "TYPE NAME" or "TYPE NAME[N]"; the name is the last identifier before an optional array suffix.
const DECL = /^(.*?)\s*\b([A-Za-z_]\w*)\s*(\[[^\]]*\])?$/;
const FIELD_LINE = /^\s*field:([^;]*);\s*offset:(\d+);\s*size:(\d+);\s*(?:signed:(\d+);)?/;

/** Splits a C declaration into its name and its type (array suffix moved onto the type). */
export function splitDeclaration(decl: string): { name: string; type: string } {
	const m = DECL.exec(decl.trim());
	if (!m) throw new TracepointFormatError(`cannot read field declaration "${decl}"`);
	const type = `${m[1].replace(/\s+/g, ' ').trim()}${m[3] ?? ''}`;
	return { name: m[2], type };
}

export function parseTracepointFormat(text: string): ParsedTracepointFormat {
	let name = '';
	let id = -1;
	let printFmt = '';
	const commonFields: TracepointField[] = [];
	const fields: TracepointField[] = [];
	const lines = text.split('\n');
	for (let i = 0; i < lines.length; i++) {
		const line = lines[i];
		if (line.startsWith('name: ')) {
			name = line.slice(6).trim();
		} else if (line.startsWith('ID: ')) {
			id = Number(line.slice(4));
		} else if (line.startsWith('print fmt: ')) {
			printFmt = line.slice(11);
		} else {
			const m = FIELD_LINE.exec(line);
			if (!m) continue;
			const { name: fieldName, type } = splitDeclaration(m[1]);
			const field: TracepointField = { name: fieldName, type, offset: Number(m[2]), size: Number(m[3]), signed: m[4] === '1' };
			(fieldName.startsWith('common_') ? commonFields : fields).push(field);
		}
	}
	if (!name) throw new TracepointFormatError('no "name:" line');
	if (!Number.isInteger(id) || id < 0) throw new TracepointFormatError(`event ${name}: no valid "ID:" line`);
	return { name, id, commonFields, fields, printFmt };
}
