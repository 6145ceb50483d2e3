package io.lossmonitor.cases;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reference cases in the loss CLI's input format, loaded from the test classpath. */
public final class GoldenCases {

    /** A copy of the project's golden-public.jsonl: the published seeds and hand-checked edge cases. */
    public static final String RESOURCE = "/golden/golden-public.jsonl";
    /** Random cases valued by src/test/python/golden_oracle.py, an mpmath oracle sharing no code with the core. */
    public static final String ORACLE_RESOURCE = "/golden/golden-oracle.jsonl";

    private GoldenCases() {
    }

    public static List<JsonNode> load() {
        return load(RESOURCE);
    }

    public static List<JsonNode> load(String resource) {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> cases = new ArrayList<>();
        try (InputStream in = GoldenCases.class.getResourceAsStream(resource);
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isBlank()) {
                    cases.add(json.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return cases;
    }
}
