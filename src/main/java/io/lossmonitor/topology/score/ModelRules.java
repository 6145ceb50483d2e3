package io.lossmonitor.topology.score;

import io.lossmonitor.events.InvalidEventException;
import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.loss.LossInputException;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.RegistryException;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Task;
import io.lossmonitor.topology.TopologyConfig;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and compiles the scoring rule of each prediction: the spec from the {@code models} topic if there is one,
 * else the spec from the configuration file, else the defaults for the prediction's task and output. Compiled rules
 * (and compile failures) are cached per spec and prediction shape, so a spec change takes effect with the next
 * event. One instance per processor: not thread-safe.
 *
 * <p>The global store holds the topic's specs as bytes, and they are read here, by the stream thread, for two
 * reasons. A record there that is not a readable spec then fails the events of its model, each a dead letter with
 * the reason, instead of Kafka Streams' global thread, whose failure stops the instance (and whose dead-letter
 * queue support does not extend to global stores in Kafka Streams 4.3: its deserialization path fails on it). And
 * a spec is read once per change instead of once per event: the last one read of each model is kept with its bytes.
 */
public final class ModelRules {

    /**
     * The most characters a model id, a model version or a class name may have. Each becomes a Prometheus label
     * value: Prometheus refuses a whole scrape in which one label value is longer than its
     * {@code label_value_length_limit}, and Mimir and Cortex refuse series with label values over 2,048 bytes by
     * default. 256 characters (at most 768 bytes of UTF-8) stay under both.
     */
    public static final int MAX_NAME_CHARS = 256;
    private static final int CACHE_LIMIT = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(ModelRules.class);

    /** Compiled rules by spec instance: each spec is read (or configured) once, so identity is equality here. */
    private record Key(String modelId, Identity spec, Task task, OutputKind output, int scores) {
    }

    private record Identity(ModelSpec spec) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Identity other && other.spec == spec;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(spec);
        }
    }

    /** The last spec read from the topic for a model: its bytes, and the spec or why it cannot be used. */
    private record TopicSpec(byte[] bytes, ModelSpec spec, InvalidEventException error) {
    }

    private final Map<String, ModelSpec> configured;
    private final AvroDeserializer<ModelSpec> topicSpecs;
    private final String topic;
    private final long defaultMaxLabelDelayMs;
    private final int maxScores;
    private final Map<Key, Object> cache = new HashMap<>();
    private final Map<String, TopicSpec> read = new HashMap<>();

    /**
     * @param topicSpecs reads a spec as the {@code models} topic holds it (Confluent-framed Avro)
     * @param topic the {@code models} topic, for the reader and for messages
     */
    public ModelRules(Map<String, ModelSpec> configured, AvroDeserializer<ModelSpec> topicSpecs, String topic,
                      long defaultMaxLabelDelayMs, int maxScores) {
        this.configured = configured;
        this.topicSpecs = topicSpecs;
        this.topic = topic;
        this.defaultMaxLabelDelayMs = defaultMaxLabelDelayMs;
        this.maxScores = maxScores;
    }

    /** The rules of a topology: its configured specs, limits and models topic. */
    public static ModelRules of(TopologyConfig config, AvroDeserializer<ModelSpec> topicSpecs) {
        return new ModelRules(config.modelSpecs(), topicSpecs, config.modelsTopic(), config.maxLabelDelay().toMillis(),
                config.maxScores());
    }

    /**
     * The effective spec: the topic's over the configuration's.
     *
     * @param fromTopic the model's value in the global store (null: none on the topic)
     * @throws InvalidEventException ({@link InvalidEventException#INVALID_SPEC}) when the topic's spec cannot be read
     * @throws RegistryException when its schema is unknown here and the registry cannot be reached (retriable: the
     *     spec is read again next time)
     */
    public ModelSpec spec(String modelId, byte[] fromTopic) {
        if (fromTopic == null) {
            return configured.get(modelId);
        }
        TopicSpec last = read.get(modelId);
        if (last == null || !Arrays.equals(last.bytes(), fromTopic)) {
            last = read(modelId, fromTopic);
            if (read.size() >= CACHE_LIMIT) {
                read.clear();
            }
            read.put(modelId, last);
        }
        if (last.error() != null) {
            throw new InvalidEventException(last.error().reason(), last.error().getMessage());
        }
        return last.spec();
    }

    /**
     * Whether {@link #spec} can answer without calling the registry: no spec on the topic, the one read last, or
     * one whose schema is cached.
     */
    public boolean canRead(String modelId, byte[] fromTopic) {
        if (fromTopic == null) {
            return true;
        }
        TopicSpec last = read.get(modelId);
        return last != null && Arrays.equals(last.bytes(), fromTopic) || topicSpecs.knowsSchemaOf(fromTopic);
    }

    private TopicSpec read(String modelId, byte[] bytes) {
        try {
            ModelSpec spec = topicSpecs.deserialize(topic, bytes);
            if (!modelId.equals(spec.getModelId())) {
                // Which model the publisher meant is unclear, and scoring one model by another's spec (its class
                // weights, its number of classes) would report wrong losses without a sign: refuse it visibly.
                return new TopicSpec(bytes, null, unusable(modelId, "names model '" + spec.getModelId()
                        + "' in its model_id (the key must be the model_id)", null));
            }
            return new TopicSpec(bytes, spec, null);
        } catch (RegistryException e) {
            if (e.isRetriable()) {
                throw e;
            }
            return new TopicSpec(bytes, null, unreadable(modelId, e));
        } catch (RuntimeException e) {
            return new TopicSpec(bytes, null, unreadable(modelId, e));
        }
    }

    private InvalidEventException unreadable(String modelId, RuntimeException e) {
        return unusable(modelId, "cannot be read (" + e.getMessage() + ")", e);
    }

    private InvalidEventException unusable(String modelId, String why, RuntimeException cause) {
        InvalidEventException error = new InvalidEventException(InvalidEventException.INVALID_SPEC, "the spec of model '"
                + modelId + "' on the " + topic + " topic " + why + "; its events are rejected until a usable spec"
                + " replaces it", cause);
        // Once per spec change and processor: its events' dead letters say it again, one by one.
        LOG.warn("{}", error.getMessage());
        return error;
    }

    /**
     * The rule for this prediction, after checking it: ids present, not too many scores, a loss that fits, the
     * expected number of scores, and scores the loss accepts.
     *
     * @throws InvalidEventException naming what is wrong
     */
    public ScoringRule validate(PredictionEvent p, ModelSpec spec) {
        requireId("prediction_id", p.predictionId());
        requireId("model_id", p.modelId());
        requireName("model_id", p.modelId());
        requireName("model_version", p.modelVersion());
        if (p.scores().length > maxScores) {
            throw new InvalidEventException(InvalidEventException.TOO_MANY_SCORES, "prediction has " + p.scores().length
                    + " scores, more than the limit of " + maxScores);
        }
        if (p.scores().length == 0) {
            throw new InvalidEventException(LossInputException.Reason.SHAPE_MISMATCH.name(), "prediction has no scores");
        }
        ScoringRule rule = rule(p.modelId(), spec, p.task(), p.output(), p.scores().length);
        try {
            if (rule.crossEntropy() != null) {
                rule.crossEntropy().validateScores(p.scores(), 0);
            } else {
                rule.binary().validateScores(p.scores(), 0);
            }
        } catch (LossInputException e) {
            throw InvalidEventException.of(e);
        }
        return rule;
    }

    /**
     * Checks what can be checked of a label before its prediction is known: ids, a finite target vector of
     * acceptable size, a finite non-negative sample weight.
     *
     * @throws InvalidEventException naming what is wrong
     */
    public void validate(LabelEvent label) {
        requireId("prediction_id", label.predictionId());
        requireId("model_id", label.modelId());
        requireName("model_id", label.modelId());
        if (!label.hasIndexTarget()) {
            double[] t = label.targetVector();
            if (t.length > maxScores) {
                throw new InvalidEventException(InvalidEventException.TOO_MANY_SCORES, "target has " + t.length
                        + " values, more than the limit of " + maxScores);
            }
            for (int i = 0; i < t.length; i++) {
                if (!Double.isFinite(t[i])) {
                    throw new InvalidEventException(LossInputException.Reason.NON_FINITE_TARGET.name(),
                            "target[" + i + "] = " + t[i] + " is not finite");
                }
            }
        }
        double w = label.weight();
        if (!(w >= 0.0) || Double.isInfinite(w)) {
            throw new InvalidEventException(LossInputException.Reason.INVALID_WEIGHT.name(), "sample weight " + w
                    + " must be a finite number >= 0");
        }
    }

    /** The compiled rule (cached), or the compile failure (cached too). */
    public ScoringRule rule(String modelId, ModelSpec spec, Task task, OutputKind output, int scores) {
        Key key = new Key(modelId, new Identity(spec), task, output, scores);
        Object cached = cache.get(key);
        if (cached == null) {
            try {
                cached = ScoringRule.compile(modelId, spec, task, output, scores, defaultMaxLabelDelayMs);
            } catch (InvalidEventException e) {
                cached = e;
            }
            if (cache.size() >= CACHE_LIMIT) {
                cache.clear();
            }
            cache.put(key, cached);
        }
        if (cached instanceof InvalidEventException e) {
            throw new InvalidEventException(e.reason(), e.getMessage());
        }
        return (ScoringRule) cached;
    }

    /**
     * Model ids and versions become parts of store keys (joined by control characters) and metric label values: one
     * with a control character could make two keys collide, and one longer than {@link #MAX_NAME_CHARS} could make
     * the scrape refused.
     */
    private static void requireName(String field, String value) {
        if (value.length() > MAX_NAME_CHARS) {
            throw new InvalidEventException(InvalidEventException.INVALID_ID, field + " is " + value.length()
                    + " characters long, more than the limit of " + MAX_NAME_CHARS + " (it is a metric label value)");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new InvalidEventException(InvalidEventException.INVALID_ID, String.format(java.util.Locale.ROOT,
                        "%s contains the control character U+%04X at index %d", field, (int) value.charAt(i), i));
            }
        }
    }

    private static void requireId(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw new InvalidEventException(InvalidEventException.MISSING_FIELD, field + " is empty");
        }
    }
}
