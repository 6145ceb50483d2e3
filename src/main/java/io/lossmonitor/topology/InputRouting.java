package io.lossmonitor.topology;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * How accepted predictions and labels reach the join task of their key. A prediction and its label must meet in
 * one task; where producers key both topics by prediction id (Kafka's default partitioner, the same partition count),
 * they already sit in the same partition number, which is the join's partition for that id.
 *
 * <table>
 *   <caption>Routing modes</caption>
 *   <tr><th>mode</th><th>record in its prediction id's partition</th><th>record elsewhere</th><th>needs</th></tr>
 *   <tr><td>{@link Mode#REPARTITION}</td><td>through {@code join-input}</td><td>through {@code join-input}</td>
 *       <td>nothing: any partition counts, any producer keys</td></tr>
 *   <tr><td>{@link Mode#LOCAL_FIRST}</td><td>joined where it is</td><td>through {@code join-input}, partitioned
 *       by prediction id as the producer's default partitioner would</td><td>both topics with {@code partitions}
 *       partitions</td></tr>
 *   <tr><td>{@link Mode#KEYED}</td><td>joined where it is</td><td>dead-lettered ({@code WRONG_PARTITION})</td>
 *       <td>as LOCAL_FIRST, and producers that promise to key by prediction id</td></tr>
 * </table>
 *
 * <p>LOCAL_FIRST gives producers that key by prediction id the keyed topology's single hop (one produce and consume,
 * and under exactly-once one transaction, less per record) without a promise that a misplaced record would break,
 * and costs other producers nothing beyond the repartition they would take anyway. Records of one key may then reach
 * the join in another order than they were produced (one read where it is, the next through {@code join-input}), as
 * records of one key from two input partitions already do with the repartition. The join's outcome does not depend
 * on that order except where the events themselves do not decide it: early labels wait for their prediction, and of
 * two labels the later event time wins; of two labels with the same event time the one joined last wins, and of two
 * different predictions with one id the first.
 *
 * @param mode       see {@link Mode}
 * @param partitions the input topics' (common) partition count; 0 for {@link Mode#REPARTITION}
 */
public record InputRouting(Mode mode, int partitions) {

    /** See the table in {@link InputRouting}. */
    public enum Mode { REPARTITION, LOCAL_FIRST, KEYED }

    public InputRouting {
        if (mode == null) {
            throw new IllegalArgumentException("routing mode must be given");
        }
        if (mode == Mode.REPARTITION ? partitions != 0 : partitions < 1) {
            throw new IllegalArgumentException(mode == Mode.REPARTITION
                    ? "REPARTITION does not depend on the inputs' partition count, got " + partitions
                    : mode + " needs the inputs' partition count (>= 1), got " + partitions);
        }
    }

    /** Every record through the join-input topic. */
    public static InputRouting repartition() {
        return new InputRouting(Mode.REPARTITION, 0);
    }

    /** Records in their prediction id's partition of inputs with {@code partitions} partitions joined where they are. */
    public static InputRouting localFirst(int partitions) {
        return new InputRouting(Mode.LOCAL_FIRST, partitions);
    }

    /** Every record joined where it is; one outside its prediction id's partition is dead-lettered. */
    public static InputRouting keyed(int partitions) {
        return new InputRouting(Mode.KEYED, partitions);
    }

    /** Whether a record of {@code predictionId} read from {@code sourcePartition} already is in the join's partition. */
    public boolean isHome(String predictionId, int sourcePartition) {
        return mode != Mode.REPARTITION && partitionOf(predictionId, partitions) == sourcePartition;
    }

    /**
     * The partition Kafka's default partitioner gives a record keyed by {@code predictionId} (UTF-8, as
     * StringSerializer writes it): murmur2 of the key bytes, made positive, modulo the partition count.
     */
    public static int partitionOf(String predictionId, int partitions) {
        return Utils.toPositive(Utils.murmur2(predictionId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
