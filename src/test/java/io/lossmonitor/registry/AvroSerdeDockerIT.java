package io.lossmonitor.registry;

import io.lossmonitor.fixtures.DockerStack;
import io.lossmonitor.fixtures.KafkaFixture;
import io.lossmonitor.fixtures.RegistryFixture;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.junit.jupiter.Testcontainers;

/** The serde contract on the deployable images (Kafka, Confluent Schema Registry); skipped without Docker. */
@Testcontainers(disabledWithoutDocker = true)
class AvroSerdeDockerIT extends AvroSerdeContract {

    @RegisterExtension
    static final DockerStack STACK = new DockerStack();

    @Override
    KafkaFixture kafka() {
        return STACK;
    }

    @Override
    RegistryFixture registry() {
        return STACK;
    }
}
