/**
 * `pollen bridge` for real: a node on one end of a serial line (tools/run-node.ts, no other link), the bridge on
 * the other end, and a plain mqtt.js client that knows Homie, not Pollen: it reads the device description, finds
 * the property of the variable the serial node updates, reads its value from the retained property topic, and
 * sets it through `/set`; the serial node sees the new value. The broker is aedes (or MQTT_URL).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt from 'mqtt';
import { testBroker } from '../support/broker.ts';
import { NodeProc } from '../support/proc.ts';
import { CliProc } from '../support/cliproc.ts';
import { ptyPair } from '../transports/ptypair.ts';
import { until } from '../support/wait.ts';

test('a Homie client reads a serial-linked node value through the bridge, and sets it', async () => {
  const b = await testBroker();
  const pair = await ptyPair();
  const root = 'homie-test-' + process.pid + '-' + Date.now().toString(36);
  let s: NodeProc | undefined;
  let bridge: CliProc | undefined;
  const client = await mqtt.connectAsync(b.url, { protocolVersion: b.protocolVersion, connectTimeout: 5000 });
  try {
    bridge = CliProc.start(['bridge', '--json', '--id', 'gw', '--url', 'none', '--serial', pair.a, '--homie-url', b.url, '--mqtt-version', String(b.protocolVersion), '--homie-root', root, '--http', '0']);
    await bridge.event((e) => e.ev === 'ready', 'bridge ready');
    s = await NodeProc.start(['--id', 's', '--url', 'none', '--serial', pair.b, '--join', 'gw', '--seed', '4']);
    s.cmd('declare temp lww');
    s.cmd('update temp set 21.5 1000');

    // The controller's side: only Homie topics.
    const seen = new Map<string, string>();
    client.on('message', (t, p) => seen.set(t, p.toString()));
    await client.subscribeAsync(root + '/5/+/$state');
    await client.subscribeAsync(root + '/5/+/$description');
    await until(() => seen.get(root + '/5/gw/$state') === 'ready', 'the device is ready', 20000, 50);
    let prop = '';
    await until(
      () => {
        const d = JSON.parse(seen.get(root + '/5/gw/$description') ?? '{}');
        if (d.homie !== '5.0' || typeof d.version !== 'number') return false;
        for (const [node, n] of Object.entries<any>(d.nodes ?? {})) {
          for (const [id, p] of Object.entries<any>(n.properties ?? {})) if (p.name === 'temp' && p.datatype === 'float' && p.settable) prop = node + '/' + id;
        }
        return prop !== '';
      },
      'the description lists temp as a settable float',
      20000,
      50,
    );
    const topic = root + '/5/gw/' + prop;
    await client.subscribeAsync(topic);
    await until(() => seen.get(topic) === '21.5', 'the value 21.5 on ' + topic, 20000, 50);

    await client.publishAsync(topic + '/set', '23', { qos: 1 });
    await s.until((st) => st.vars.temp === 23, 's holds temp = 23, set through Homie', 20000);
    await until(() => seen.get(topic) === '23', 'the property topic says 23', 10000, 50);

    // The bridge's own metrics count the command.
    const http = (await bridge.event((e) => e.ev === 'ready', 'ready')).http;
    const text = await (await fetch(http + '/metrics')).text();
    assert.match(text, /^pollen_homie_commands_total\{result="applied"\} 1$/m);
    // The value came over the serial link: by Plumtree (payload), or anti-entropy (delta, or the state a new
    // neighbour is sent), whichever was first.
    const got = [...text.matchAll(/^pollen_link_bytes_received_total\{link="serial",class="(payload|delta|state)"\} (\d+)$/gm)].map((m) => Number(m[2]));
    assert.is(got.length, 3, text);
    assert.ok(got[0] + got[1] + got[2] > 0, "bytes of the update came in on the serial link\n" + text);

    // A clean stop says 'disconnected'.
    assert.is(await bridge.stop(), 0);
    await until(() => seen.get(root + '/5/gw/$state') === 'disconnected', 'the device says disconnected', 5000, 50);
  } finally {
    client.end(true);
    await bridge?.stop();
    await s?.kill();
    await pair.close();
    await b.close();
  }
});

test.run();
