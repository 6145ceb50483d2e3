package io.lossmonitor.generator;

import java.io.IOException;

/** Where generated records go, in arrival order. */
public interface TrafficSink extends AutoCloseable {

    void accept(GeneratedRecord record) throws IOException;

    @Override
    void close() throws IOException;
}
