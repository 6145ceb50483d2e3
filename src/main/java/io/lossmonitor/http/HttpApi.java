package io.lossmonitor.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.lossmonitor.config.Durations;
import io.lossmonitor.metrics.ServiceMetrics;
import io.lossmonitor.topology.Names;
import io.lossmonitor.topology.window.WindowAggregate;
import io.lossmonitor.topology.window.WindowKey;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's one small HTTP server (the JDK's):
 * <ul>
 *   <li>{@code /metrics}: Prometheus text, or OpenMetrics when the scraper's Accept header asks for it;</li>
 *   <li>{@code /health/live}: 200 unless the streams client failed (ERROR, or a stream thread died);</li>
 *   <li>{@code /health/ready}: 200 only while the streams client is RUNNING;</li>
 *   <li>{@code /api/v1/models}: the models, versions and classes that have windows, over all instances;</li>
 *   <li>{@code /api/v1/models/{model}/windows?version=&size=1h&from=&to=&class=}: windows from the window stores,
 *       answered by the instance owning the key (forwarded through {@code application.server}); 400 for a bad
 *       parameter, 503 while the stores are rebalancing or restoring.</li>
 * </ul>
 */
public final class HttpApi implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FORWARDED = "forwarded";

    private final HttpServer server;
    private final ServiceMetrics metrics;
    private final Supplier<KafkaStreams> streams;
    private final Health health;
    private final List<Duration> sizes;
    private final HostInfo self;
    private final int maxWindows;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** What the health endpoints report. */
    public interface Health {
        boolean live();

        boolean ready();

        String describe();
    }

    public HttpApi(String address, int port, ServiceMetrics metrics, Supplier<KafkaStreams> streams, Health health,
                   List<Duration> sizes, HostInfo self, int maxWindows) throws IOException {
        this.metrics = metrics;
        this.streams = streams;
        this.health = health;
        this.sizes = sizes;
        this.self = self;
        this.maxWindows = maxWindows;
        server = HttpServer.create(new InetSocketAddress(address, port), 64);
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "lossmon-http");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", this::handle);
    }

    public void start() {
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        // Not try-with-resources: its resource is closed before the catch blocks, which must still respond.
        try {
            if (!exchange.getRequestMethod().equals("GET")) {
                send(exchange, 405, "text/plain", "only GET is supported\n");
                return;
            }
            String path = exchange.getRequestURI().getPath();
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            switch (path) {
                case "/metrics" -> {
                    String accept = exchange.getRequestHeaders().getFirst("Accept");
                    send(exchange, 200, ServiceMetrics.contentType(accept), metrics.scrape(accept));
                }
                case "/health/live" -> send(exchange, health.live() ? 200 : 503, "text/plain", health.describe() + "\n");
                case "/health/ready" -> send(exchange, health.ready() ? 200 : 503, "text/plain", health.describe() + "\n");
                case "/api/v1/models" -> models(exchange, query);
                default -> {
                    String model = windowsModel(path);
                    if (model != null) {
                        windows(exchange, model, query);
                    } else {
                        send(exchange, 404, "text/plain", "no such endpoint: " + path + "\n");
                    }
                }
            }
        } catch (BadRequest e) {
            sendJson(exchange, 400, error(e.getMessage()));
        } catch (InvalidStateStoreException | Unavailable e) {
            sendJson(exchange, 503, error("state is not queryable right now (rebalancing or restoring): " + e.getMessage()));
        } catch (RuntimeException e) {
            LOG.error("HTTP request {} failed", exchange.getRequestURI(), e);
            sendJson(exchange, 500, error(e.toString()));
        } finally {
            exchange.close();
        }
    }

    private void models(HttpExchange exchange, Map<String, String> query) throws IOException {
        Map<String, Map<String, TreeSet<String>>> found = new TreeMap<>();
        localKeys(found);
        if (!query.containsKey(FORWARDED)) {
            for (StreamsMetadata m : streams.get().metadataForAllStreamsClients()) {
                if (!m.hostInfo().equals(self)) {
                    var remote = JSON.readTree(forward(m.hostInfo(), "/api/v1/models?" + FORWARDED + "=true"));
                    for (var model : remote.path("models")) {
                        var versions = found.computeIfAbsent(model.path("model").asText(), k -> new TreeMap<>());
                        for (var v : model.path("versions")) {
                            var classes = versions.computeIfAbsent(v.path("version").asText(), k -> new TreeSet<>());
                            v.path("classes").forEach(c -> classes.add(c.asText()));
                        }
                    }
                }
            }
        }
        ObjectNode out = JSON.createObjectNode();
        ArrayNode list = out.putArray("models");
        found.forEach((model, versions) -> {
            ObjectNode m = list.addObject().put("model", model);
            ArrayNode vs = m.putArray("versions");
            versions.forEach((version, classes) -> {
                ObjectNode v = vs.addObject().put("version", version);
                ArrayNode cs = v.putArray("classes");
                classes.forEach(cs::add);
            });
        });
        sendJson(exchange, 200, out);
    }

    private void localKeys(Map<String, Map<String, TreeSet<String>>> found) {
        ReadOnlyKeyValueStore<String, Object> latest = streams.get().store(StoreQueryParameters.fromNameAndType(
                Names.LATEST_WINDOWS_STORE, QueryableStoreTypes.keyValueStore()));
        try (var it = latest.all()) {
            while (it.hasNext()) {
                String key = it.next().key;
                WindowKey k = WindowKey.decode(key.substring(0, key.lastIndexOf('\u001e')));
                var classes = found.computeIfAbsent(k.modelId(), m -> new TreeMap<>())
                        .computeIfAbsent(k.modelVersion(), v -> new TreeSet<>());
                if (!k.isAll()) {
                    classes.add(k.className());
                }
            }
        }
    }

    private void windows(HttpExchange exchange, String model, Map<String, String> query) throws IOException {
        String version = query.get("version");
        if (version == null || version.isEmpty()) {
            throw new BadRequest("version is required (see /api/v1/models for the versions of " + model + ")");
        }
        Duration size = parseSize(query.getOrDefault("size", "1h"));
        Instant to = instant("to", query.get("to"), Instant.now());
        Instant from = instant("from", query.get("from"), to.minus(size.multipliedBy(24)));
        if (from.isAfter(to)) {
            throw new BadRequest("from (" + from + ") is after to (" + to + ")");
        }
        long windows = Duration.between(from, to).toMillis() / size.toMillis() + 1;
        if (windows > maxWindows) {
            throw new BadRequest("the range holds " + windows + " windows of " + Durations.format(size)
                    + "; at most " + maxWindows + " per request");
        }
        WindowKey key = new WindowKey(model, version, query.get("class"));
        String store = Names.lossWindowStore(size);
        if (!query.containsKey(FORWARDED)) {
            KeyQueryMetadata owner = streams.get().queryMetadataForKey(store, key.encode(), Serdes.String().serializer());
            if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
                throw new Unavailable("no instance owns " + key.encode().replace('\u001f', '/') + " yet");
            }
            if (!owner.activeHost().equals(self)) {
                String body = forward(owner.activeHost(), exchange.getRequestURI().getRawPath() + "?"
                        + exchange.getRequestURI().getRawQuery() + "&" + FORWARDED + "=true");
                send(exchange, 200, "application/json", body);
                return;
            }
        }
        ReadOnlyWindowStore<String, ValueAndTimestamp<WindowAggregate>> windowStore = streams.get().store(
                StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.timestampedWindowStore()));
        ObjectNode out = JSON.createObjectNode().put("model", model).put("version", version)
                .put("class", key.isAll() ? "all" : key.className()).put("size", Durations.format(size));
        ArrayNode list = out.putArray("windows");
        try (var it = windowStore.fetch(key.encode(), from, to)) {
            while (it.hasNext()) {
                var entry = it.next();
                WindowAggregate a = entry.value.value();
                ObjectNode w = list.addObject();
                w.put("start", Instant.ofEpochMilli(entry.key).toString())
                        .put("end", Instant.ofEpochMilli(entry.key + size.toMillis()).toString())
                        .put("events", a.events()).put("loss", a.lossKind() == null ? null : a.lossKind().name());
                number(w, "mean", a.mean());
                number(w, "standard_error", a.standardError());
                number(w, "accuracy", a.accuracy());
                number(w, "ece", a.ece());
                number(w, "baseline_loss", a.baselineLoss());
                number(w, "normalized_entropy", a.normalizedEntropy());
                ArrayNode labels = w.putArray("label_distribution");
                for (double v : a.labelDistribution()) {
                    labels.add(v);
                }
            }
        }
        sendJson(exchange, 200, out);
    }

    private Duration parseSize(String text) {
        Duration size;
        try {
            size = Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new BadRequest("size: " + e.getMessage());
        }
        if (!sizes.contains(size)) {
            throw new BadRequest("size " + text + " is not aggregated; sizes: "
                    + String.join(", ", sizes.stream().map(Durations::format).toList()));
        }
        return size;
    }

    private static Instant instant(String name, String text, Instant fallback) {
        if (text == null || text.isEmpty()) {
            return fallback;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            try {
                return Instant.ofEpochMilli(Long.parseLong(text));
            } catch (NumberFormatException n) {
                throw new BadRequest(name + " must be an ISO-8601 instant (2026-11-01T12:00:00Z) or epoch milliseconds,"
                        + " got '" + text + "'");
            }
        }
    }

    private String forward(HostInfo host, String pathAndQuery) {
        URI uri = URI.create("http://" + host.host() + ":" + host.port() + pathAndQuery);
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 503) {
                throw new Unavailable("the owning instance " + host + " is not ready");
            }
            if (response.statusCode() != 200) {
                throw new IllegalStateException("instance " + host + " answered " + response.statusCode() + ": "
                        + response.body());
            }
            return response.body();
        } catch (IOException e) {
            throw new Unavailable("cannot reach the owning instance " + host + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted");
        }
    }

    private static void number(ObjectNode node, String field, double value) {
        if (Double.isFinite(value)) {
            node.put(field, value);
        } else {
            node.putNull(field);
        }
    }

    /**
     * The model of a {@code /api/v1/models/{model}/windows} path, or null for another path. The path is the URI's
     * decoded one: decoding it again would turn a '+' in a model id into a space and "%25" into whatever follows.
     */
    static String windowsModel(String decodedPath) {
        String prefix = "/api/v1/models/";
        String suffix = "/windows";
        if (decodedPath.length() <= prefix.length() + suffix.length() || !decodedPath.startsWith(prefix)
                || !decodedPath.endsWith(suffix)) {
            return null;
        }
        return decodedPath.substring(prefix.length(), decodedPath.length() - suffix.length());
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null) {
            return out;
        }
        for (String part : raw.split("&")) {
            int eq = part.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void sendJson(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        send(exchange, status, "application/json", JSON.writeValueAsString(body));
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Stops accepting requests, letting those in flight finish for up to a second. */
    @Override
    public void close() {
        server.stop(1);
    }

    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }

    private static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unavailable(String message) {
            super(message);
        }
    }
}
