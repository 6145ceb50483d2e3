package io.lossmonitor.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The dashboards and alert rules as data, for the checks that they only name real metrics. */
public final class DeploymentFiles {

    public static final Path DASHBOARDS = Path.of("grafana", "dashboards");
    private static final Pattern METRIC = Pattern.compile("\\b((?:lossmon|kafka|jvm|process)_[a-z0-9_]+)");

    private DeploymentFiles() {
    }

    public static List<Path> dashboards() {
        try (Stream<Path> files = Files.list(DASHBOARDS)) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every PromQL expression of the dashboards (targets and template queries) and of the alert rules. */
    public static List<String> expressions() throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<String> out = new ArrayList<>();
        for (Path file : dashboards()) {
            JsonNode d = json.readTree(file.toFile());
            d.path("panels").forEach(p -> p.path("targets").forEach(t -> out.add(t.path("expr").asText())));
            d.path("templating").path("list").forEach(v -> out.add(v.path("definition").asText()));
        }
        try {
            AlertRulesTest.alerts().forEach(a -> out.add(a.path("expr").asText()));
        } catch (Exception e) {
            throw new IOException(e);
        }
        return out;
    }

    /** The metric names those expressions use. */
    public static Set<String> metricNames() throws IOException {
        Set<String> names = new TreeSet<>();
        for (String expr : expressions()) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }
}
