// Finding what a command started, from /proc: real processes.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { descendantsOf, parentPidOf, signalTree } from '../../controller/util/process-tree.js';

test('the parent pid of a stat line, whatever the process calls itself', (t) => {
	t.is(parentPidOf('1234 (sleep) S 99 1234 1234 0 -1'), 99);
	t.is(parentPidOf('1234 (a) b (c)) ) R 42 1 1 0'), 42, 'a name with ") " in it');
	t.is(parentPidOf('garbage'), undefined);
});

test('a shell pipeline: its processes are the shell\'s descendants, and signalling the tree stops them all', async (t) => {
	const sh = spawn('/bin/sh', ['-c', 'sleep 60 | sleep 61'], { stdio: 'ignore' });
	t.teardown(() => sh.kill('SIGKILL'));
	let below: number[] = [];
	for (let i = 0; i < 100 && below.length < 2; i++) {
		await new Promise((r) => setTimeout(r, 20));
		below = descendantsOf(sh.pid!);
	}
	t.is(below.length, 2, 'two sleeps under the shell');
	const exited = new Promise((r) => sh.on('exit', r));
	signalTree(sh.pid!, 'SIGTERM');
	await exited;
	// Running, not a zombie waiting for whoever reaps orphans here.
	const alive = (p: number) => {
		try {
			const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
			return stat.slice(stat.lastIndexOf(') ') + 2, stat.lastIndexOf(') ') + 3) !== 'Z';
		} catch {
			return false;
		}
	};
	for (let i = 0; i < 50 && below.some(alive); i++) await new Promise((r) => setTimeout(r, 20));
	t.false(below.some(alive));
	t.deepEqual(descendantsOf(sh.pid!), []);
});
