package io.lossmonitor.generator;

import io.lossmonitor.generator.GeneratedRecord.LabelRecord;
import io.lossmonitor.generator.GeneratedRecord.PredictionRecord;
import io.lossmonitor.schema.Label;
import io.lossmonitor.schema.OutputKind;
import io.lossmonitor.schema.Prediction;
import io.lossmonitor.schema.Task;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Deterministic simulated traffic: predictions of several models and their delayed labels, in the order they
 * reach Kafka. Lazy: memory holds only the labels still in flight.
 *
 * <p>Each model has a true class balance and a learned prior; a prediction's logits are the prior plus a signal
 * towards the true class plus unit noise, so its losses are realistic and shift when a {@link TrafficConfig.Drift}
 * starts.
 */
public final class Traffic implements Iterator<GeneratedRecord> {

    private static final String[] REGIONS = {"eu", "us", "apac"};

    private record Queued(GeneratedRecord record, long sequence) {
    }

    private final TrafficConfig config;
    private final SplittableRandom random;
    private final List<ModelState> models = new ArrayList<>();
    private final PriorityQueue<Queued> queue = new PriorityQueue<>(
            Comparator.comparingLong((Queued q) -> q.record().arrivalMs()).thenComparingLong(Queued::sequence));
    private long next;
    private long sequence;

    public Traffic(TrafficConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
        for (ModelProfile profile : config.models()) {
            models.add(new ModelState(profile, random));
        }
    }

    /** Event time of prediction {@code i}. */
    public long predictionTime(long i) {
        return config.startMs() + (long) Math.floor(i * 1000.0 / config.rate());
    }

    @Override
    public boolean hasNext() {
        return next < config.predictions() || !queue.isEmpty();
    }

    @Override
    public GeneratedRecord next() {
        // Every record made for prediction i arrives at or after its event time, so the queue's head is final once
        // it is no later than the next prediction's time.
        while (next < config.predictions() && (queue.isEmpty() || queue.peek().record().arrivalMs() > predictionTime(next))) {
            generate(next++);
        }
        Queued head = queue.poll();
        if (head == null) {
            throw new NoSuchElementException();
        }
        return head.record();
    }

    private void enqueue(GeneratedRecord record) {
        queue.add(new Queued(record, sequence++));
    }

    private void generate(long i) {
        ModelState model = models.get((int) (i % models.size()));
        ModelProfile profile = model.profile;
        long t = predictionTime(i);
        String id = profile.modelId() + "-" + i;
        boolean drifted = config.drift() != null && config.drift().modelId().equals(profile.modelId())
                && t >= config.drift().atMs();
        TrafficConfig.Drift.Kind driftKind = drifted ? config.drift().kind() : null;

        Truth truth = model.draw(random, driftKind);
        double[] scores = truth.scores;
        boolean invalid = random.nextDouble() < config.invalidFraction();
        boolean invalidPrediction = invalid && random.nextBoolean();
        boolean invalidLabel = invalid && !invalidPrediction;
        if (invalidPrediction) {
            scores = scores.clone();
            if (random.nextBoolean()) {
                scores[random.nextInt(scores.length)] = Double.NaN;
            } else {
                scores = java.util.Arrays.copyOf(scores, scores.length + 1);
            }
        }
        Prediction prediction = Prediction.newBuilder()
                .setPredictionId(id).setModelId(profile.modelId()).setModelVersion(profile.version())
                .setTimestamp(Instant.ofEpochMilli(t)).setTask(profile.task()).setOutput(profile.output())
                .setScores(boxed(scores))
                .setSegments(Map.of("region", REGIONS[random.nextInt(REGIONS.length)]))
                .build();

        boolean labelled = random.nextDouble() >= config.unlabelledFraction();
        boolean early = labelled && random.nextDouble() < config.earlyLabelFraction();
        long predictionArrival = t;
        if (labelled) {
            long delay = early ? random.nextLong(0, 1000) : exponential(config.labelDelayMean().toMillis());
            long labelTime = t + delay;
            if (early) {
                predictionArrival = labelTime + random.nextLong(1000, 5000);
            }
            Object target = invalidLabel ? model.invalidTarget() : truth.target;
            Label label = Label.newBuilder().setPredictionId(id).setModelId(profile.modelId())
                    .setTimestamp(Instant.ofEpochMilli(labelTime)).setTarget(target).build();
            enqueue(new LabelRecord(labelTime, label, !invalidLabel, LabelRecord.Role.FIRST));
            if (random.nextDouble() < config.duplicateLabels()) {
                enqueue(new LabelRecord(labelTime + random.nextLong(0, 2000), label, !invalidLabel,
                        LabelRecord.Role.DUPLICATE));
            }
            if (!invalidLabel && random.nextDouble() < config.correctionFraction()) {
                long correctionTime = labelTime + 1000 + exponential(config.labelDelayMean().toMillis());
                Label correction = Label.newBuilder(label).setTimestamp(Instant.ofEpochMilli(correctionTime))
                        .setTarget(model.corrected(truth.target, random)).build();
                enqueue(new LabelRecord(correctionTime, correction, true, LabelRecord.Role.CORRECTION));
            }
        }
        enqueue(new PredictionRecord(predictionArrival, prediction, !invalidPrediction, false));
        if (random.nextDouble() < config.duplicatePredictions()) {
            enqueue(new PredictionRecord(predictionArrival + random.nextLong(0, 2000), prediction, !invalidPrediction, true));
        }
    }

    private long exponential(long mean) {
        return (long) (-mean * Math.log1p(-random.nextDouble()));
    }

    private static List<Double> boxed(double[] values) {
        List<Double> list = new ArrayList<>(values.length);
        for (double v : values) {
            list.add(v);
        }
        return list;
    }

    private record Truth(double[] scores, Object target) {
    }

    /** A model's fixed characteristics, drawn once from the seed. */
    private static final class ModelState {
        final ModelProfile profile;
        final double[] prior;

        ModelState(ModelProfile profile, SplittableRandom random) {
            this.profile = profile;
            int c = profile.classes();
            prior = new double[c];
            if (profile.task() == Task.MULTICLASS) {
                double total = 0;
                for (int k = 0; k < c; k++) {
                    prior[k] = Math.exp(0.8 * gaussian(random));
                    total += prior[k];
                }
                for (int k = 0; k < c; k++) {
                    prior[k] /= total;
                }
            } else {
                for (int k = 0; k < c; k++) {
                    prior[k] = random.nextDouble(0.05, 0.5);
                }
            }
        }

        Truth draw(SplittableRandom random, TrafficConfig.Drift.Kind drift) {
            int c = profile.classes();
            boolean miscalibrated = drift == TrafficConfig.Drift.Kind.MISCALIBRATION;
            double scale = miscalibrated ? 3.0 : 1.0;
            double signal = miscalibrated ? 0.4 : 1.0;
            boolean reversed = drift == TrafficConfig.Drift.Kind.CLASS_BALANCE;
            double[] logits = new double[c];
            if (profile.task() == Task.MULTICLASS) {
                int y = sample(random, reversed);
                for (int k = 0; k < c; k++) {
                    logits[k] = scale * (Math.log(prior[k]) + gaussian(random) + (k == y ? 2.5 * signal : 0.0));
                }
                return new Truth(multiclassOutput(logits), y);
            }
            double[] multiHot = new double[c];
            for (int k = 0; k < c; k++) {
                double p = reversed ? 1 - prior[k] : prior[k];
                int y = random.nextDouble() < p ? 1 : 0;
                multiHot[k] = y;
                logits[k] = scale * (Math.log(prior[k] / (1 - prior[k])) + 2.0 * signal * (2 * y - 1) + gaussian(random));
            }
            double[] scores = logits;
            if (profile.output() == OutputKind.PROBABILITIES) {
                scores = new double[c];
                for (int k = 0; k < c; k++) {
                    scores[k] = 1.0 / (1.0 + Math.exp(-logits[k]));
                }
            }
            Object target = profile.task() == Task.BINARY ? (Object) (int) multiHot[0] : boxed(multiHot);
            return new Truth(scores, target);
        }

        private double[] multiclassOutput(double[] logits) {
            if (profile.output() == OutputKind.LOGITS) {
                return logits;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (double z : logits) {
                max = Math.max(max, z);
            }
            double sum = 0;
            for (double z : logits) {
                sum += Math.exp(z - max);
            }
            double logSum = Math.log(sum);
            double[] out = new double[logits.length];
            for (int k = 0; k < logits.length; k++) {
                double lp = logits[k] - max - logSum;
                out[k] = profile.output() == OutputKind.LOG_PROBABILITIES ? lp : Math.exp(lp);
            }
            return out;
        }

        private int sample(SplittableRandom random, boolean reversed) {
            double u = random.nextDouble();
            int c = prior.length;
            for (int k = 0; k < c; k++) {
                u -= prior[reversed ? c - 1 - k : k];
                if (u < 0) {
                    return k;
                }
            }
            return c - 1;
        }

        Object invalidTarget() {
            if (profile.task() == Task.MULTILABEL) {
                return boxed(new double[profile.classes() + 1]);
            }
            return Math.max(2, profile.classes()) + 3;
        }

        @SuppressWarnings("unchecked")
        Object corrected(Object target, SplittableRandom random) {
            if (target instanceof Integer y) {
                int classes = Math.max(2, profile.classes());
                return (y + 1 + random.nextInt(classes - 1)) % classes;
            }
            List<Double> flipped = new ArrayList<>((List<Double>) target);
            int k = random.nextInt(flipped.size());
            flipped.set(k, 1.0 - flipped.get(k));
            return flipped;
        }

        private static double gaussian(SplittableRandom random) {
            // Box-Muller: one normal draw from two uniforms; deterministic for a seed.
            double u = 1.0 - random.nextDouble();
            return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.nextDouble());
        }
    }
}
