// The tracepoint list with field formats, from tracefs events/*/*/format.
// There are thousands of small files (2,300 here, 2 MB). tracefs generates
// them in memory, so synchronous reads are the fast way: 32 ms for all of
// them, against 280 ms through the promise API with 64 reads in flight.
import { readdirSync, readFileSync } from 'node:fs';
import { parseTracepointFormat } from './tracepoint-format.js';
import { reasonOf } from './reasons.js';
import type { Tracepoint, TracepointField, Unavailable } from './types.js';

export interface TracepointList {
	tracepoints: Tracepoint[];
	commonFields: TracepointField[];
	unavailable: Unavailable[];
}

function subdirectories(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true })
		.filter((e) => e.isDirectory())
		.map((e) => e.name)
		.sort();
}

export function readTracepoints(tracefs: string): TracepointList {
	const eventsDir = `${tracefs}/events`;
	const unavailable: Unavailable[] = [];
	const tracepoints: Tracepoint[] = [];
	let commonFields: TracepointField[] = [];
	const attempt = <T>(source: string, work: () => T): T | undefined => {
		try {
			return work();
		} catch (err) {
			unavailable.push({ source, reason: reasonOf(err) });
			return undefined;
		}
	};
	for (const system of attempt(eventsDir, () => subdirectories(eventsDir)) ?? []) {
		for (const name of attempt(`${eventsDir}/${system}`, () => subdirectories(`${eventsDir}/${system}`)) ?? []) {
			const path = `${eventsDir}/${system}/${name}/format`;
			const format = attempt(path, () => parseTracepointFormat(readFileSync(path, 'utf8')));
			if (!format) continue;
			if (commonFields.length === 0) commonFields = format.commonFields;
			tracepoints.push({ system, name, id: format.id, fields: format.fields, printFmt: format.printFmt });
		}
	}
	return { tracepoints, commonFields, unavailable };
}
