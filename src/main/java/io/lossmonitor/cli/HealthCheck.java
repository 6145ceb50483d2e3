package io.lossmonitor.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A container health probe that needs nothing but the JVM already in the image (no curl in a JRE image):
 * {@code java -cp loss-monitor.jar io.lossmonitor.cli.HealthCheck http://127.0.0.1:8080/health/live} exits 0 when
 * the URL answers 200, 1 otherwise.
 */
public final class HealthCheck {

    private HealthCheck() {
    }

    public static void main(String[] args) {
        System.exit(check(args.length > 0 ? args[0] : "http://127.0.0.1:8080/health/live"));
    }

    static int check(String url) {
        try {
            HttpResponse<Void> response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build()
                    .send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
                            HttpResponse.BodyHandlers.discarding());
            return response.statusCode() == 200 ? 0 : 1;
        } catch (Exception e) {
            return 1;
        }
    }
}
