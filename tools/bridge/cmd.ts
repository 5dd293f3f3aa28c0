/**
 * `pollen bridge`: the gateway. A node with links to boards (serial, BLE) and to the rest of the cluster (MQTT,
 * TCP), that also publishes every variable it holds as a Homie 5 device on an MQTT broker (homie.ts), so a
 * dashboard reads sensor values without knowing Pollen, and turns commands on a property's `/set` topic into
 * updates that spread to the boards like any other.
 *
 *   pollen bridge --id gw --url mqtt://broker.local:1883 --serial /dev/ttyACM0
 *   pollen bridge --id gw --url none --serial /dev/ttyACM0 --homie-url mqtt://broker.local:1883 --http 9464
 *
 * Exit status: 0 after a clean stop (Ctrl-C, SIGTERM), 1 when it could not start, 2 for a usage error.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { guard, parse, UsageError } from '../cli/args.ts';
import { NODE_FLAGS, NODE_FLAGS_HELP, nodeConfig } from '../node/config.ts';
import { startNode, type Running, type Log } from '../node/run.ts';
import { printer, runUntilStopped, stateEvent } from '../node/cmd.ts';
import type { Sample } from '../node/prometheus.ts';
import { HOMIE_NODE, description, homieId, payloadOf, properties, updatesFor, type Property } from './homie.ts';
import { withoutCredentials } from '../../transports/mqtt.ts';

export const USAGE = `usage: pollen bridge [--config FILE] [options]

The gateway: boards on serial or BLE links, the cluster over MQTT or TCP, and every variable published as a
Homie 5 device (retained topics homie/5/<device>/...) that Home Assistant and Node-RED discover; a value sent to
homie/5/<device>/vars/<property>/set becomes an update.

${NODE_FLAGS_HELP}
Homie:
  --homie-url URL        broker for the Homie topics (default: the --url broker)
  --homie-root TOPIC     base topic (default homie; the version level 5 follows it)
  --homie-device ID      the Homie device id (default: the node id, folded to a-z, 0-9 and -)
  --homie-name NAME      the device's name in dashboards (default "Pollen <id>")
output:
  --json, --stdin        as for pollen node
`;

interface Homie {
  close(): Promise<void>;
  samples(): Sample[];
}

/** Publish the node's variables as a Homie device and carry out /set commands; resolves once connected. */
export async function startHomie(r: Running, o: { url: string; version: 4 | 5; root: string; device: string; name: string; username?: string; password?: string }, log: Log): Promise<Homie> {
  const base = o.root + '/5/' + o.device;
  const stats = { published: 0, applied: 0, refused: 0 };
  const client: MqttClient = mqtt.connect(o.url, {
    protocolVersion: o.version,
    clientId: 'pollen-homie-' + o.device + '-' + process.pid,
    username: o.username,
    password: o.password,
    will: { topic: base + '/$state', payload: Buffer.from('lost'), qos: 1, retain: true },
    reconnectPeriod: 1000,
    connectTimeout: 5000,
  });
  let props: Property[] = [];
  let described = '';
  let version = 0;
  const sent = new Map<string, string>();
  const pub = (topic: string, payload: string) => {
    if (sent.get(topic) === payload) return;
    sent.set(topic, payload);
    stats.published++;
    client.publish(topic, payload, { qos: 1, retain: true });
  };
  const vars = () =>
    Object.keys(r.driver.node.store.vars).map((name) => ({ name, spec: r.driver.node.store.vars[name].spec, value: r.driver.query(name) }));
  /** Publish what changed: the description when the set of properties or a datatype changed, then the values. */
  const sync = () => {
    if (!client.connected) return;
    const next = properties(vars());
    const shape = JSON.stringify(next.map((p) => [p.id, p.datatype, p.settable]));
    if (shape !== described) {
      described = shape;
      props = next;
      version++;
      // v5: a changed description is published while the device is in 'init', then the device is 'ready' again.
      pub(base + '/$state', 'init');
      pub(base + '/$description', JSON.stringify(description(o.name, version, props)));
    }
    for (const p of props) pub(base + '/' + HOMIE_NODE + '/' + p.id, payloadOf(p, r.driver.query(p.variable)));
    pub(base + '/$state', 'ready');
  };
  client.on('connect', () => {
    sent.clear(); // a new session: publish everything again (a retained topic may have been cleared meanwhile)
    described = '';
    client.subscribe(base + '/' + HOMIE_NODE + '/+/set', { qos: 1 });
    sync();
    log({ ev: 'homie', device: o.device, topic: base, properties: props.map((p) => p.id) });
  });
  client.on('error', (e) => log({ ev: 'error', message: 'homie: ' + e.message }));
  client.on('message', (topic, buf) => {
    const id = topic.slice(base.length + HOMIE_NODE.length + 2, -'/set'.length);
    const p = props.find((x) => x.id === id);
    const payload = buf.toString('utf8');
    if (!p) return;
    // Register writes need a stamp above the held one (a board's clock may run ahead of ours).
    const st = r.driver.state(p.variable) as { ts?: number } | null;
    const now = Math.max(Date.now(), st && typeof st.ts === 'number' ? st.ts + 1 : 0);
    const u = updatesFor(p, r.driver.query(p.variable), payload, now);
    if (typeof u === 'string') {
      stats.refused++;
      log({ ev: 'error', message: 'homie set refused: ' + u });
      // Say the value as it is, so a controller that set it optimistically sees it back.
      sent.delete(base + '/' + HOMIE_NODE + '/' + p.id);
      sync();
      return;
    }
    try {
      for (const x of u) r.driver.update(p.variable, x.mutator, x.args);
      stats.applied++;
      log({ ev: 'set', variable: p.variable, value: r.driver.query(p.variable) });
    } catch (e) {
      stats.refused++;
      log({ ev: 'error', message: 'homie set ' + p.variable + ': ' + (e as Error).message });
    }
    sync();
  });
  // Changes come from boards, peers and /set alike; publish at most every 100 ms.
  let pending: NodeJS.Timeout | undefined;
  const off = r.driver.on('changed', () => {
    if (!pending) pending = setTimeout(() => ((pending = undefined), sync()), 100);
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('homie: no connection to ' + withoutCredentials(o.url) + ' within 10 s')), 10000);
    client.once('connect', () => (clearTimeout(t), resolve()));
  }).catch(async (e) => {
    client.end(true);
    throw e;
  });
  return {
    samples: () => [
      { name: 'pollen_homie_published_total', help: 'Homie messages published (values, description, state).', type: 'counter', value: stats.published },
      { name: 'pollen_homie_commands_total', help: 'Homie /set commands, by result.', type: 'counter', labels: { result: 'applied' }, value: stats.applied },
      { name: 'pollen_homie_commands_total', help: 'Homie /set commands, by result.', type: 'counter', labels: { result: 'refused' }, value: stats.refused },
      { name: 'pollen_homie_properties', help: 'Variables published as Homie properties.', type: 'gauge', value: props.length },
    ],
    async close() {
      off();
      clearTimeout(pending);
      if (client.connected) await client.publishAsync(base + '/$state', 'disconnected', { qos: 1, retain: true }).catch(() => {});
      await client.endAsync();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const flags = {
    ...NODE_FLAGS,
    'homie-url': { type: 'string' },
    'homie-root': { type: 'string' },
    'homie-device': { type: 'string' },
    'homie-name': { type: 'string' },
    json: { type: 'boolean' },
    stdin: { type: 'boolean' },
  } as const;
  const a = parse(argv, flags, USAGE, false);
  if (typeof a === 'number') return a;
  return guard('bridge', USAGE, async () => {
    const v = a.values;
    const cfg = nodeConfig(v);
    const url = (v['homie-url'] as string | undefined) ?? (cfg.mqtt ? cfg.mqtt.url : undefined);
    if (!url) throw new UsageError('--homie-url is required when the node has no MQTT link');
    const root = (v['homie-root'] as string | undefined) ?? 'homie';
    if (!/^[^#+]+$/.test(root) || root.startsWith('/') || root.endsWith('/')) throw new UsageError('--homie-root is a topic without wildcards or outer slashes');
    const log = printer(v.json === true, cfg.id);
    const r = await startNode(cfg, log);
    let homie: Homie;
    try {
      homie = await startHomie(
        r,
        {
          url,
          version: Number(v['mqtt-version'] ?? (cfg.mqtt ? cfg.mqtt.version : 5)) === 4 ? 4 : 5,
          root,
          device: homieId((v['homie-device'] as string | undefined) ?? cfg.id),
          name: (v['homie-name'] as string | undefined) ?? 'Pollen ' + cfg.id,
          username: cfg.mqtt ? cfg.mqtt.username : undefined,
          password: cfg.mqtt ? cfg.mqtt.password : undefined,
        },
        log,
      );
    } catch (e) {
      await r.close();
      throw e;
    }
    r.more.push(() => homie.samples());
    const close = r.close;
    r.close = async () => {
      await homie.close();
      await close();
    };
    r.driver.on('changed', () => log(stateEvent(r)));
    log({ ev: 'ready', id: cfg.id, links: r.links.map((l) => l.kind), http: r.http ? 'http://' + r.http.host + ':' + r.http.port : undefined });
    return runUntilStopped(r, log, v.stdin === true);
  });
}
