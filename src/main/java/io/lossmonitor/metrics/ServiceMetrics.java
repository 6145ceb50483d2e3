package io.lossmonitor.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The /metrics registry: loss-monitor's store-backed metrics ({@link StoreMetrics}), the Kafka Streams client's
 * own metrics, the JVM's, {@code lossmon_streams_state{state}} (1 for the current state, since the binder drops the
 * string-valued state) and {@code lossmon_build_info{version}}.
 */
public final class ServiceMetrics implements AutoCloseable {

    public static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    public static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private KafkaStreamsMetrics streamsMetrics;

    public ServiceMetrics(StoreMetrics stores, String version) {
        registry.getPrometheusRegistry().register(stores);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        Gauge.builder("lossmon.build.info", () -> 1).tag("version", version)
                .description("loss-monitor build; the value is always 1").register(registry);
    }

    public void bind(KafkaStreams streams, Supplier<KafkaStreams.State> state) {
        streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(registry);
        for (KafkaStreams.State s : KafkaStreams.State.values()) {
            Gauge.builder("lossmon.streams.state", () -> state.get() == s ? 1 : 0).tag("state", s.name())
                    .description("1 for the Kafka Streams client's current state").register(registry);
        }
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The exposition for an Accept header: OpenMetrics when asked for, else the Prometheus text format. */
    public String scrape(String accept) {
        return registry.scrape(contentType(accept));
    }

    public static String contentType(String accept) {
        return accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS : PROMETHEUS_TEXT;
    }

    @Override
    public void close() {
        if (streamsMetrics != null) {
            streamsMetrics.close();
        }
        registry.close();
    }
}
