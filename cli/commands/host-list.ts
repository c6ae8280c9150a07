// --host values: one agent each, or @FILE, a fleet's inventory: one host
// per line, blank lines and # comments ignored (as pdsh's ^FILE). A host
// given twice (on the command line, in a file, or both) is refused: a script
// must not run twice on one machine by a slip in an inventory.
import { InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';

/** Largest hosts file read (bytes): an inventory, not a log. */
export const HOSTS_FILE_MAX_BYTES = 1024 * 1024;

function readHostsFile(path: string): { host: string; where: string }[] {
	let text: string;
	try {
		const bytes = readFileSync(path);
		if (bytes.length > HOSTS_FILE_MAX_BYTES) throw new Error(`larger than ${HOSTS_FILE_MAX_BYTES} bytes`);
		text = bytes.toString('utf8');
	} catch (e) {
		const reason = (e as Error).message.replace(/, open '.*'$/, '');
		throw new InvalidArgumentError(`cannot read hosts file ${path} (${reason})`);
	}
	const hosts: { host: string; where: string }[] = [];
	text.split('\n').forEach((raw, i) => {
		const line = raw.replace(/#.*/, '').trim();
		if (line === '') return;
		if (/\s/.test(line)) throw new InvalidArgumentError(`${path}:${i + 1}: one host per line, not ${JSON.stringify(line)}`);
		hosts.push({ host: line, where: ` (${path}:${i + 1})` });
	});
	if (hosts.length === 0) throw new InvalidArgumentError(`hosts file ${path} names no host`);
	return hosts;
}

/** commander's collector for a repeatable --host. */
export function collectHosts(value: string, previous: string[]): string[] {
	const added = value.startsWith('@') ? readHostsFile(value.slice(1)) : [{ host: value, where: '' }];
	const all = [...previous];
	for (const { host, where } of added) {
		if (all.includes(host)) throw new InvalidArgumentError(`host ${host} is given twice${where}`);
		all.push(host);
	}
	return all;
}
