package io.lossmonitor.topology;

import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.events.LabelReader;
import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.events.PredictionReader;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.AvroSerde;
import io.lossmonitor.registry.AvroSerializer;
import io.lossmonitor.registry.RegistryClient;
import io.lossmonitor.schema.LossWindow;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.ScoredEvent;
import io.lossmonitor.topology.score.Score;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** The serdes of the topology's external topics, all through one registry client and its caches. */
public final class TopologySerdes {

    private final RegistryClient registry;

    public TopologySerdes(RegistryClient registry) {
        this.registry = registry;
    }

    public RegistryClient registry() {
        return registry;
    }

    public AvroDeserializer<PredictionEvent> predictions() {
        return new AvroDeserializer<>(registry, PredictionReader::new);
    }

    public AvroDeserializer<LabelEvent> labels() {
        return new AvroDeserializer<>(registry, LabelReader::new);
    }

    /** Reads a spec as the {@code models} topic holds it; the global store keeps the bytes (see {@code ModelRules}). */
    public AvroDeserializer<ModelSpec> modelSpecs() {
        return new AvroDeserializer<>(registry, AvroDeserializer.specificReader(ModelSpec.class));
    }

    /** Scores written as {@code ScoredEvent}s (a sink's serde: reading them back is {@link ScoredEvent}'s business). */
    public Serde<Score> scoredEvents() {
        return Serdes.serdeFrom(new ScoredEventSerializer(registry), (topic, bytes) -> {
            throw new UnsupportedOperationException("scored events are read as ScoredEvent, not as Score");
        });
    }

    public Serde<LossWindow> lossWindows() {
        return AvroSerde.specific(registry, LossWindow.class, false);
    }

    /**
     * Registers (or looks up, as configured) the schemas of the topology's output topics now, so that their ids are
     * cached: a registry outage later then delays only records with schemas never seen, never the output.
     *
     * @throws io.lossmonitor.registry.RegistryException when the registry cannot be reached or refuses a schema
     */
    public void resolveOutputSchemas(TopologyConfig config) {
        AvroSerializer<ScoredEvent> scored = new AvroSerializer<>(registry, false);
        scored.resolve(config.scoredEventsTopic(), ScoredEvent.getClassSchema());
        AvroSerializer<LossWindow> windows = new AvroSerializer<>(registry, false);
        windows.resolve(config.lossWindowsTopic(), LossWindow.getClassSchema());
    }
}
