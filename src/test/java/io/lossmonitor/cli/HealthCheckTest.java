package io.lossmonitor.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class HealthCheckTest {

    @Test
    void exitsZeroOnlyFor200() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/health/live", e -> {
            e.sendResponseHeaders(200, -1);
            e.close();
        });
        server.createContext("/health/ready", e -> {
            e.sendResponseHeaders(503, -1);
            e.close();
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            assertThat(HealthCheck.check(base + "/health/live")).isZero();
            assertThat(HealthCheck.check(base + "/health/ready")).isEqualTo(1);
        } finally {
            server.stop(0);
        }
        assertThat(HealthCheck.check("http://127.0.0.1:9/health/live")).isEqualTo(1);
    }
}
