// Host names on the command line: which transport each form selects, and clear refusals.
import test from 'ava';
import { parseHostUri } from '../../controller/dispatch/host-uri.js';

test('HOST:PORT is mTLS, unix:/PATH is the local socket, plaintext:// must be asked for', (t) => {
	t.like(parseHostUri('web-1.example:7070'), { transport: 'mtls', target: 'web-1.example:7070', label: 'web-1.example:7070' });
	t.like(parseHostUri('[::1]:7070'), { transport: 'mtls', target: '[::1]:7070' });
	t.like(parseHostUri('unix:/run/tapfleet/agent.sock'), { transport: 'unix', target: 'unix:/run/tapfleet/agent.sock' });
	t.like(parseHostUri('plaintext://10.0.0.5:7070'), { transport: 'plaintext', target: '10.0.0.5:7070' });
});

test('malformed hosts are refused with the accepted forms', (t) => {
	for (const bad of ['web-1', 'unix:relative.sock', 'plaintext://nohost', 'http://x:1', 'a b:1', '']) {
		t.throws(() => parseHostUri(bad), { message: /expected HOST:PORT|absolute path|expected plaintext:\/\/HOST:PORT/ }, bad);
	}
});
