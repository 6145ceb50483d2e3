// Publishes an event log (JSON Lines, as `loss-monitor generate --events` writes it) to Kafka the way a Node.js
// model server would: values serialized by Confluent's own JavaScript Avro serializer against the schema registry
// (the latest schema of each topic's value subject), records keyed by prediction id with kafkajs's default
// (Java-compatible murmur2) partitioner. Prints {"predictions": n, "labels": m} when every record is acknowledged.
//
// node produce.mjs BOOTSTRAP REGISTRY_URL PREDICTIONS_TOPIC LABELS_TOPIC PREDICTION_SCHEMA LABEL_SCHEMA EVENTS
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';
import { AvroSerializer, SchemaRegistryClient, SerdeType } from '@confluentinc/schemaregistry';

const [bootstrap, registryUrl, predictionsTopic, labelsTopic, predictionSchema, labelSchema, events] =
  process.argv.slice(2);

const registry = new SchemaRegistryClient({ baseURLs: [registryUrl] });
// Registered as Confluent's tooling does: one subject per topic's values (TopicNameStrategy).
await registry.register(`${predictionsTopic}-value`,
  { schemaType: 'AVRO', schema: readFileSync(predictionSchema, 'utf8') });
await registry.register(`${labelsTopic}-value`, { schemaType: 'AVRO', schema: readFileSync(labelSchema, 'utf8') });
const serializers = {
  prediction: new AvroSerializer(registry, SerdeType.VALUE, { useLatestVersion: true }),
  label: new AvroSerializer(registry, SerdeType.VALUE, { useLatestVersion: true }),
};

const kafka = new Kafka({ clientId: 'loss-monitor-js-test', brokers: bootstrap.split(','), logLevel: logLevel.WARN });
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
const counts = { prediction: 0, label: 0 };
for await (const line of createInterface({ input: createReadStream(events) })) {
  if (!line.trim()) continue;
  const e = JSON.parse(line);
  const [topic, value] = e.type === 'prediction'
    ? [predictionsTopic, {
        prediction_id: e.prediction_id, model_id: e.model_id, model_version: e.model_version,
        timestamp: e.timestamp, task: e.task, output: e.output, scores: e.scores, segments: e.segments,
      }]
    : [labelsTopic, {
        prediction_id: e.prediction_id, model_id: e.model_id, timestamp: e.timestamp, target: e.target,
        weight: e.weight,
      }];
  const bytes = await serializers[e.type].serialize(topic, value);
  // One record at a time, acknowledged before the next: the log's order is the topics' order.
  await producer.send({ topic, acks: -1, messages: [{ key: e.prediction_id, value: bytes }] });
  counts[e.type]++;
}
await producer.disconnect();
console.log(JSON.stringify({ predictions: counts.prediction, labels: counts.label }));
