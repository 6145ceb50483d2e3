package io.lossmonitor.registry;

import io.lossmonitor.fixtures.ApicurioRegistry;
import io.lossmonitor.fixtures.EmbeddedKafka;
import io.lossmonitor.fixtures.KafkaFixture;
import io.lossmonitor.fixtures.RegistryFixture;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The serde contract on the in-JVM KRaft broker and Apicurio Registry's Confluent-compatible API. */
class AvroSerdeIT extends AvroSerdeContract {

    @RegisterExtension
    static final EmbeddedKafka KAFKA = new EmbeddedKafka();

    @RegisterExtension
    static final ApicurioRegistry REGISTRY = new ApicurioRegistry();

    @Override
    KafkaFixture kafka() {
        return KAFKA;
    }

    @Override
    RegistryFixture registry() {
        return REGISTRY;
    }
}
