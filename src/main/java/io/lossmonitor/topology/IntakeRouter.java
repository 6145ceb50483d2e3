package io.lossmonitor.topology;

import io.lossmonitor.topology.intake.Intake;
import io.lossmonitor.topology.join.JoinInput;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Sends each accepted record on its way to its join task ({@link InputRouting}), by child name: one node where the
 * DSL's split would take three per record (a branch node, a branch's pass-through, a mapping), each of which costs
 * a record's processing time in Kafka Streams.
 *
 * <table>
 *   <caption>Where an accepted record goes</caption>
 *   <tr><th>routing</th><th>record already in its join partition</th><th>elsewhere</th></tr>
 *   <tr><td>LOCAL_FIRST</td><td>{@value Names#MERGE_JOIN_INPUT} (joined here)</td>
 *       <td>{@value Names#TO_JOIN_INPUT} (the join-input repartition)</td></tr>
 *   <tr><td>KEYED</td><td>{@value Names#LABEL_JOIN}</td><td>never (the intake dead-letters it)</td></tr>
 *   <tr><td>REPARTITION</td><td colspan="2">{@value Names#TO_JOIN_INPUT}</td></tr>
 * </table>
 */
final class IntakeRouter implements Processor<String, Intake, String, JoinInput> {

    private final String home;
    private final String away;
    private ProcessorContext<String, JoinInput> context;

    IntakeRouter(InputRouting.Mode mode) {
        this.home = switch (mode) {
            case LOCAL_FIRST -> Names.MERGE_JOIN_INPUT;
            case KEYED -> Names.LABEL_JOIN;
            case REPARTITION -> Names.TO_JOIN_INPUT;
        };
        this.away = mode == InputRouting.Mode.KEYED ? Names.LABEL_JOIN : Names.TO_JOIN_INPUT;
    }

    @Override
    public void init(ProcessorContext<String, JoinInput> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, Intake> record) {
        // The intake forwards only accepted records here (its dead letters go to their own child).
        Intake.Accepted accepted = (Intake.Accepted) record.value();
        context.forward(record.withValue(accepted.input()), accepted.home() ? home : away);
    }
}
