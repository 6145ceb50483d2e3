package io.lossmonitor.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lossmonitor.cases.CaseFormatException;
import io.lossmonitor.cases.LossCase;
import io.lossmonitor.cases.Tolerance;
import io.lossmonitor.loss.LossInputException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code loss}: the offline twin of the service; computes PyTorch losses for JSON Lines cases. */
@Command(name = "loss",
        usageHelpWidth = 100,
        mixinStandardHelpOptions = true,
        description = {
            "Computes PyTorch losses (float64) for cases given as JSON Lines, through the same loss core as the"
                + " service, and writes one JSON line per case to standard output.",
            "",
            "Input: one JSON object per line. Fields: id; loss (cross_entropy | nll_loss | binary_cross_entropy |"
                + " binary_cross_entropy_with_logits); input and target (numbers or nested arrays); optional"
                + " target_kind (index | prob; default: a target of the input's shape holds probabilities, as in"
                + " PyTorch), weight, pos_weight, ignore_index (default -100), label_smoothing (default 0),"
                + " reduction (none | mean | sum; default mean); for cross_entropy also input_kind (logits, the"
                + " default, or probabilities: nll_loss of log(p) clamped at -100) and prob_sum_tolerance"
                + " (default 1e-4). Other fields are ignored. Non-finite numbers are written as the strings"
                + " \"NaN\", \"Infinity\", \"-Infinity\".",
            "",
            "Output: {\"id\": ..., \"value\": <number | nested list | \"NaN\">} or {\"id\": ..., \"error\": \"...\"}"
                + " for a case the loss rejects (where PyTorch would raise)."},
        footer = {
            "",
            "Example:",
            "  echo '{\"id\":\"a\",\"loss\":\"cross_entropy\",\"input\":[[2,-3,0.8,1.2]],\"target\":[2]}' \\",
            "    | java -jar target/loss-monitor.jar loss --input -",
            "  {\"id\":\"a\",\"value\":1.763756416846708}",
            "",
            "With --check, each output line also carries \"pass\", and the last line is \"N passed, M failed\":"
                + " a case passes when |value - expected| <= 1e-9*|expected| + atol (its \"expected\" and \"atol\""
                + " fields); cases without \"expected\" are counted as skipped.",
            "",
            "Exit status: 0 when the input was read (and, with --check, every case passed); 1 when a checked case"
                + " failed; 2 when the input could not be read (a missing file, a line that is not a JSON object)."})
final class LossCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    private CommandSpec spec;

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE",
            description = "JSON Lines file to read, or - for standard input.")
    private String input;

    @Option(names = "--check", description = "Compare each value with the case's \"expected\" and report a summary.")
    private boolean check;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        try (BufferedReader reader = open()) {
            String line;
            int lineNumber = 0;
            while ((line = reader.readLine()) != null) {
                lineNumber++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode c;
                try {
                    c = JSON.readTree(line);
                } catch (JsonProcessingException e) {
                    err.println("loss: line " + lineNumber + " is not valid JSON: " + e.getOriginalMessage());
                    out.flush();
                    return 2;
                }
                if (!c.isObject()) {
                    err.println("loss: line " + lineNumber + " is not a JSON object");
                    out.flush();
                    return 2;
                }
                ObjectNode result = JSON.createObjectNode();
                result.set("id", c.get("id"));
                try {
                    result.set("value", LossCase.evaluate(c));
                } catch (LossInputException | CaseFormatException e) {
                    result.put("error", e.getMessage());
                }
                if (check) {
                    if (c.hasNonNull("expected")) {
                        double atol = c.hasNonNull("atol") ? c.get("atol").asDouble() : 0.0;
                        boolean pass = result.has("value") && Tolerance.matches(c.get("expected"), result.get("value"), atol);
                        result.put("pass", pass);
                        if (pass) {
                            passed++;
                        } else {
                            failed++;
                            result.set("expected", c.get("expected"));
                        }
                    } else {
                        skipped++;
                    }
                }
                out.println(JSON.writeValueAsString(result));
            }
        } catch (IOException e) {
            err.println("loss: cannot read " + ("-".equals(input) ? "standard input" : input) + ": " + e.getMessage());
            out.flush();
            return 2;
        }
        if (check) {
            out.println(passed + " passed, " + failed + " failed" + (skipped > 0 ? ", " + skipped + " skipped" : ""));
        }
        out.flush();
        return check && failed > 0 ? 1 : 0;
    }

    private BufferedReader open() throws IOException {
        if ("-".equals(input)) {
            return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        }
        return Files.newBufferedReader(Path.of(input), StandardCharsets.UTF_8);
    }
}
