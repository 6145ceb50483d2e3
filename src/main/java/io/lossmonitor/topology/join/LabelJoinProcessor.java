package io.lossmonitor.topology.join;

import io.lossmonitor.events.InvalidEventException;
import io.lossmonitor.events.LabelEvent;
import io.lossmonitor.events.PredictionEvent;
import io.lossmonitor.registry.AvroDeserializer;
import io.lossmonitor.registry.RegistryException;
import io.lossmonitor.schema.ModelSpec;
import io.lossmonitor.topology.DeadLetters;
import io.lossmonitor.topology.Names;
import io.lossmonitor.topology.TopologyConfig;
import io.lossmonitor.topology.join.JoinInput.LabelInput;
import io.lossmonitor.topology.join.JoinInput.PredictionInput;
import io.lossmonitor.topology.join.JoinOutput.Late;
import io.lossmonitor.topology.join.JoinOutput.Rejected;
import io.lossmonitor.topology.join.JoinOutput.Scored;
import io.lossmonitor.topology.score.ModelRules;
import io.lossmonitor.topology.score.Score;
import io.lossmonitor.topology.score.Scorer;
import io.lossmonitor.topology.score.ScoringRule;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * Joins each prediction with its label, in event time, however late the label comes, and scores it once.
 * Keys are (model, prediction id); {@code D} is the model's maximum label delay, {@code T} the early-label TTL,
 * {@code now} the task's stream time.
 *
 * <table>
 *   <caption>Join semantics</caption>
 *   <tr><th>time</th><th>prediction</th><th>label</th><th>output</th></tr>
 *   <tr><td>t</td><td>P arrives</td><td>none yet</td><td>none; P held until t + D</td></tr>
 *   <tr><td>t + d, d &le; D</td><td>held</td><td>L arrives</td><td>SCORE(P, L)</td></tr>
 *   <tr><td>any</td><td>held or scored</td><td>L with L.time - t &gt; D</td><td>L to late-labels (too-late)</td></tr>
 *   <tr><td>now &ge; t + D, not yet swept</td><td>held or scored</td><td>L arrives</td><td>P expires now; L to
 *       late-labels (too-late, or expired)</td></tr>
 *   <tr><td>t' &lt; t</td><td>not yet</td><td>L arrives first</td><td>none; L held until now + T</td></tr>
 *   <tr><td>t</td><td>P arrives</td><td>L held</td><td>SCORE(P, L)</td></tr>
 *   <tr><td>now &gt; arrival + T</td><td>never came (or expired)</td><td>L held</td><td>L to late-labels (orphan)</td></tr>
 *   <tr><td>any</td><td>scored with L</td><td>L again (same target, weight)</td><td>none (duplicate)</td></tr>
 *   <tr><td>t + d, d &le; D</td><td>scored with L</td><td>L' newer, other target</td><td>RETRACTION(P, L), SCORE(P, L')</td></tr>
 *   <tr><td>any</td><td>scored with L</td><td>L' older than L</td><td>none (duplicate)</td></tr>
 *   <tr><td>any</td><td>P held or scored</td><td>-</td><td>P again: none (duplicate; the first wins)</td></tr>
 *   <tr><td>now &ge; t + D</td><td>held, no label</td><td>-</td><td>none; P expired, state removed</td></tr>
 *   <tr><td>now &ge; t + D</td><td>scored</td><td>-</td><td>none; state removed (no more corrections)</td></tr>
 *   <tr><td>any</td><td>held</td><td>L that does not fit P</td><td>L to the dead-letter topic; P stays held</td></tr>
 *   <tr><td>any</td><td>the task holds its maximum of pending predictions</td><td>-</td><td>the pending one with the
 *       earliest deadline expires now (evicted)</td></tr>
 * </table>
 *
 * <p>Why not the DSL's stream-stream join: it emits a result for every matching pair (so duplicates and corrections
 * would each add a score), keeps both sides for the whole window whether matched or not, and cannot retract. Here
 * each key holds one prediction and at most one applied label, and expiry is driven by a time-ordered index, so a
 * sweep costs what expires rather than what is stored. Every record is counted in {@link Accounting}.
 *
 * <p>Each kind of output goes to its own child node by name ({@link Names#TO_SCORE}, {@link Names#TO_SIGNALS},
 * {@link Names#TO_LATE_LABELS}, {@link Names#TO_JOIN_DEAD_LETTERS}) rather than through a branch node: a record's
 * cost in Kafka Streams grows with every node it passes.
 */
public final class LabelJoinProcessor implements Processor<String, JoinInput, String, JoinOutput> {

    private final TopologyConfig config;
    private final ModelRules rules;
    private ProcessorContext<String, JoinOutput> context;
    private KeyValueStore<String, StoredPrediction> predictions;
    /** The label applied to each scored prediction and its score ({@link JoinCodecs#encodeApplied}), by join key. */
    private KeyValueStore<String, byte[]> appliedLabels;
    private KeyValueStore<String, EarlyLabel> early;
    private KeyValueStore<Bytes, byte[]> expiry;
    private TimestampedKeyValueStore<String, byte[]> specs;
    private Accounting accounting;
    /** Pending predictions of this task (the sum of its accounting's pending gauges), for the cap. */
    private long pending;
    /**
     * Early labels in this task's store: counted at start-up (not taken from the accounting, which is written back
     * later than the store and so may lag it after a crash under at-least-once), then kept with every put and
     * delete. While there are none, the steady state when labels follow their predictions, a prediction need not
     * look for one: a store read saved per prediction.
     */
    private long earlyHeld;
    /** The pending predictions stored most recently, which most labels look up; new at every {@link #init}. */
    private RecentPredictions recent;

    public LabelJoinProcessor(TopologyConfig config, AvroDeserializer<ModelSpec> specs) {
        this.config = config;
        this.rules = ModelRules.of(config, specs);
    }

    @Override
    public void init(ProcessorContext<String, JoinOutput> context) {
        this.context = context;
        this.predictions = context.getStateStore(Names.PREDICTIONS_STORE);
        this.appliedLabels = context.getStateStore(Names.APPLIED_LABELS_STORE);
        this.early = context.getStateStore(Names.EARLY_LABELS_STORE);
        this.expiry = context.getStateStore(Names.EXPIRY_STORE);
        this.specs = context.getStateStore(Names.MODEL_SPECS_STORE);
        this.accounting = new Accounting(context.getStateStore(Names.JOIN_ACCOUNTING_STORE));
        this.pending = config.maxPending() > 0 ? accounting.total(Accounting.PREDICTIONS, Accounting.PENDING) : 0;
        this.earlyHeld = 0;
        this.recent = new RecentPredictions(config.recentPredictionsBytes());
        try (KeyValueIterator<String, EarlyLabel> it = early.all()) {
            while (it.hasNext()) {
                it.next();
                earlyHeld++;
            }
        }
        context.schedule(config.punctuateInterval(), PunctuationType.STREAM_TIME, this::expire);
    }

    @Override
    public void process(Record<String, JoinInput> record) {
        switch (record.value()) {
            case PredictionInput p -> onPrediction(record.key(), p.prediction());
            case LabelInput l -> onLabel(record.key(), l);
        }
    }

    private ModelSpec spec(String modelId) {
        ValueAndTimestamp<byte[]> spec = specs.get(modelId);
        try {
            return rules.spec(modelId, spec == null ? null : spec.value());
        } catch (RegistryException e) {
            // Only a spec changed since its prediction's intake (which read the spec, fetching its schema) gets here.
            throw new InvalidEventException(InvalidEventException.INVALID_SPEC, "the spec of model '" + modelId
                    + "' changed and its schema cannot be fetched now: " + e.getMessage(), e);
        }
    }

    private ScoringRule rule(PredictionEvent p) {
        return rules.rule(p.modelId(), spec(p.modelId()), p.task(), p.output(), p.scores().length);
    }

    private void onPrediction(String key, PredictionEvent p) {
        long now = context.currentStreamTimeMs();
        if (predictions.get(key) != null) {
            accounting.increment(Accounting.PREDICTIONS, p.modelId(), Accounting.DUPLICATE);
            return;
        }
        long delay;
        try {
            delay = rule(p).maxLabelDelayMs();
        } catch (InvalidEventException e) {
            // The spec changed since intake and no longer fits; the prediction waits under the default delay and a
            // label for it will be rejected with the reason.
            delay = config.maxLabelDelay().toMillis();
        }
        context.forward(new Record<>(p.predictionId(), (JoinOutput) new JoinOutput.Observed(Scorer.observe(p)),
                p.timestampMs()), Names.TO_SIGNALS);
        StoredPrediction stored = new StoredPrediction(p, p.timestampMs() + delay, null, null);
        EarlyLabel waiting = earlyHeld > 0 ? early.get(key) : null;
        if (waiting != null) {
            early.delete(key);
            earlyHeld--;
            accounting.add(Accounting.LABELS, p.modelId(), Accounting.EARLY_PENDING, -1);
            stored = applyFirst(key, stored, waiting.label());
        }
        if (stored.deadlineMs() <= now) {
            // Already past its deadline on arrival: nothing can join it any more.
            if (stored.pending()) {
                accounting.increment(Accounting.PREDICTIONS, p.modelId(), Accounting.EXPIRED);
            }
            return;
        }
        if (stored.pending() && config.maxPending() > 0 && pending >= config.maxPending()) {
            evictOldestPending();
        }
        expiry.put(ExpiryIndex.key(stored.deadlineMs(), ExpiryIndex.PREDICTION, key), new byte[0]);
        if (stored.pending()) {
            predictions.put(key, stored);
            recent.put(key, stored);
            pending(p.modelId(), 1);
        } else {
            predictions.put(key, new StoredPrediction(p, stored.deadlineMs(), null, null));
            appliedLabels.put(key, JoinCodecs.encodeApplied(stored));
        }
    }

    /**
     * The stored prediction of {@code key}, with the ids its stored form leaves to the key, and the label applied to
     * it, if any. (A prediction stored before the applied-labels store existed may carry its label itself; a label
     * applied since, in that store, is the newer.)
     */
    private StoredPrediction stored(String key) {
        StoredPrediction held = recent.get(key);
        if (held != null) {
            return held;
        }
        StoredPrediction stored = predictions.get(key);
        if (stored == null) {
            return null;
        }
        byte[] label = appliedLabels.get(key);
        return label == null ? stored.withIds(key) : JoinCodecs.withApplied(stored.withIds(key), label);
    }

    private void pending(String model, int delta) {
        accounting.add(Accounting.PREDICTIONS, model, Accounting.PENDING, delta);
        pending += delta;
    }

    /**
     * At the cap: expires the pending prediction with the earliest deadline (the one closest to expiring anyway),
     * counted as expired and as evicted. Scored predictions ahead of it in the index are passed over.
     */
    private void evictOldestPending() {
        try (KeyValueIterator<Bytes, byte[]> it = expiry.all()) {
            while (it.hasNext()) {
                Bytes entry = it.next().key;
                if (ExpiryIndex.kind(entry) != ExpiryIndex.PREDICTION) {
                    continue;
                }
                String key = ExpiryIndex.joinKey(entry);
                StoredPrediction stored = stored(key);
                if (stored != null && stored.pending() && stored.deadlineMs() == ExpiryIndex.deadline(entry)) {
                    evict(key, stored);
                    accounting.increment(Accounting.PREDICTIONS, stored.prediction().modelId(), Accounting.EVICTED);
                    expiry.delete(entry);
                    return;
                }
            }
        }
    }

    /** Applies the first label to a pending prediction; returns the prediction as it is afterwards. */
    private StoredPrediction applyFirst(String key, StoredPrediction stored, LabelInput label) {
        PredictionEvent p = stored.prediction();
        if (tooLate(stored, label.label())) {
            late(key, label, "too-late");
            return stored;
        }
        Score score;
        try {
            score = Scorer.score(rule(p), p, label.label());
        } catch (InvalidEventException e) {
            reject(key, label, e);
            return stored;
        }
        emit(score);
        accounting.increment(Accounting.PREDICTIONS, p.modelId(), Accounting.SCORED);
        accounting.increment(Accounting.LABELS, p.modelId(), Accounting.JOINED);
        accounting.observeDelay(p.modelId(), label.label().timestampMs() - p.timestampMs());
        return new StoredPrediction(p, stored.deadlineMs(), label.label(), score);
    }

    private void onLabel(String key, LabelInput input) {
        LabelEvent label = input.label();
        StoredPrediction stored = stored(key);
        if (stored == null) {
            holdEarly(key, input);
            return;
        }
        if (stored.deadlineMs() <= context.currentStreamTimeMs()) {
            // Due but not yet swept: expire it now, so the outcome does not depend on when the sweep runs.
            evict(key, stored);
            late(key, input, tooLate(stored, label) ? "too-late" : "expired");
            return;
        }
        if (stored.pending()) {
            StoredPrediction after = applyFirst(key, stored, input);
            if (!after.pending()) {
                recent.remove(key);
                appliedLabels.put(key, JoinCodecs.encodeApplied(after));
                pending(label.modelId(), -1);
            }
            return;
        }
        if (tooLate(stored, label)) {
            late(key, input, "too-late");
            return;
        }
        LabelEvent applied = stored.label();
        if (applied.sameTargetAs(label) || label.timestampMs() < applied.timestampMs()) {
            accounting.increment(Accounting.LABELS, label.modelId(), Accounting.DUPLICATE);
            return;
        }
        Score corrected;
        try {
            corrected = Scorer.score(rule(stored.prediction()), stored.prediction(), label);
        } catch (InvalidEventException e) {
            reject(key, input, e);
            return;
        }
        emit(stored.score().asRetraction());
        emit(corrected);
        appliedLabels.put(key, JoinCodecs.encodeApplied(
                new StoredPrediction(stored.prediction(), stored.deadlineMs(), label, corrected)));
        accounting.increment(Accounting.LABELS, label.modelId(), Accounting.CORRECTED);
    }

    private void holdEarly(String key, LabelInput input) {
        String model = input.label().modelId();
        EarlyLabel waiting = early.get(key);
        if (waiting != null) {
            // One label waits per prediction: the newest by label time; the other one is counted as a duplicate.
            LabelEvent held = waiting.label().label();
            if (!held.sameTargetAs(input.label()) && input.label().timestampMs() >= held.timestampMs()) {
                early.put(key, new EarlyLabel(input, waiting.deadlineMs()));
            }
            accounting.increment(Accounting.LABELS, model, Accounting.DUPLICATE);
            return;
        }
        long deadline = context.currentStreamTimeMs() + config.earlyLabelTtl().toMillis();
        early.put(key, new EarlyLabel(input, deadline));
        expiry.put(ExpiryIndex.key(deadline, ExpiryIndex.EARLY_LABEL, key), new byte[0]);
        accounting.increment(Accounting.LABELS, model, Accounting.EARLY);
        accounting.increment(Accounting.LABELS, model, Accounting.EARLY_PENDING);
        earlyHeld++;
    }

    private static boolean tooLate(StoredPrediction stored, LabelEvent label) {
        long delay = stored.deadlineMs() - stored.prediction().timestampMs();
        return label.timestampMs() - stored.prediction().timestampMs() > delay;
    }

    /** Removes everything whose deadline is at or before stream time {@code now}: visits only what is due. */
    void expire(long now) {
        List<KeyValue<Bytes, byte[]>> due = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = expiry.range(ExpiryIndex.from(), ExpiryIndex.upTo(now))) {
            it.forEachRemaining(due::add);
        }
        for (KeyValue<Bytes, byte[]> entry : due) {
            long deadline = ExpiryIndex.deadline(entry.key);
            String key = ExpiryIndex.joinKey(entry.key);
            if (ExpiryIndex.kind(entry.key) == ExpiryIndex.PREDICTION) {
                StoredPrediction stored = stored(key);
                if (stored != null && stored.deadlineMs() == deadline) {
                    evict(key, stored);
                }
            } else {
                EarlyLabel waiting = early.get(key);
                if (waiting != null && waiting.deadlineMs() == deadline) {
                    early.delete(key);
                    earlyHeld--;
                    accounting.add(Accounting.LABELS, waiting.label().label().modelId(), Accounting.EARLY_PENDING, -1);
                    late(key, waiting.label(), "orphan");
                }
            }
            expiry.delete(entry.key);
        }
    }

    /** Removes a prediction at its deadline; an unlabelled one counts as expired. Its index entry goes in the sweep. */
    private void evict(String key, StoredPrediction stored) {
        recent.remove(key);
        predictions.delete(key);
        if (!stored.pending()) {
            appliedLabels.delete(key);
        } else {
            String model = stored.prediction().modelId();
            accounting.increment(Accounting.PREDICTIONS, model, Accounting.EXPIRED);
            pending(model, -1);
        }
    }

    private void emit(Score score) {
        context.forward(new Record<>(score.predictionId(), (JoinOutput) new Scored(score), score.predictionTime()),
                Names.TO_SCORE);
    }

    private void late(String key, LabelInput label, String reason) {
        accounting.increment(Accounting.LABELS, label.label().modelId(), Accounting.LATE);
        String message = switch (reason) {
            case "too-late" -> "label came more than the model's maximum label delay after its prediction";
            case "expired" -> "label came after its prediction had expired (stream time passed its deadline)";
            default -> "no prediction arrived within the early-label TTL of " + config.earlyLabelTtl()
                    + " (unknown, invalid, or already expired)";
        };
        context.forward(new Record<>(label.label().predictionId(), (JoinOutput) new Late(label, reason),
                Math.max(0, label.label().timestampMs()), DeadLetters.headers(reason, message, label.label().modelId(),
                label.sourceTopic(), label.sourcePartition(), label.sourceOffset())), Names.TO_LATE_LABELS);
    }

    private void reject(String key, LabelInput label, InvalidEventException e) {
        accounting.increment(Accounting.LABELS, label.label().modelId(), Accounting.INVALID);
        context.forward(new Record<>(label.label().predictionId(),
                (JoinOutput) new Rejected(label, e.reason(), e.getMessage()), Math.max(0, label.label().timestampMs()),
                DeadLetters.headers(e.reason(), e.getMessage(), label.label().modelId(), label.sourceTopic(),
                        label.sourcePartition(), label.sourceOffset())), Names.TO_JOIN_DEAD_LETTERS);
    }
}
