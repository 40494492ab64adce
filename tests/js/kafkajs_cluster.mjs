// kafkajs_cluster.mjs — kafkajs 2.2.4 against a Sluice cluster (run by
// tests/integration/cluster_groups.sh, SLUICE_BOOTSTRAP = every broker):
// a topic config changed with AlterConfigs, through whichever broker kafkajs
// picks, must reach every broker (each answers DescribeConfigs with it).
import assert from 'node:assert/strict';
import pkg from 'kafkajs';
const { Kafka, ConfigResourceTypes, logLevel } = pkg;

const brokers = process.env.SLUICE_BOOTSTRAP.split(',');
const topic = process.env.SLUICE_TOPIC;
const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
await admin.connect();
await admin.alterConfigs({
  validateOnly: false,
  resources: [{ type: ConfigResourceTypes.TOPIC, name: topic,
                configEntries: [{ name: 'retention.ms', value: '123456789' }] }],
});
await admin.disconnect();

for (const b of brokers) {
  const one = new Kafka({ brokers: [b], logLevel: logLevel.NOTHING }).admin();
  await one.connect();
  let value;
  for (let i = 0; i < 50 && value !== '123456789'; i++) {
    const d = await one.describeConfigs({ includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }] });
    value = d.resources[0].configEntries.find(e => e.configName === 'retention.ms')?.configValue;
    if (value !== '123456789') await new Promise(r => setTimeout(r, 100));
  }
  assert.equal(value, '123456789', `broker ${b} describes retention.ms=${value}`);
  await one.disconnect();
}
console.log('kafkajs_cluster: AlterConfigs reached every broker');
