package io.lossmonitor.cli;

import io.lossmonitor.fixtures.Directories;
import static org.assertj.core.api.Assertions.assertThat;

import io.lossmonitor.cases.GoldenCases;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The packaged jar, run as users run it: {@code java -jar target/loss-monitor.jar loss ...}. */
class LossJarIT {

    private static final Path JAR = Path.of("target", "loss-monitor.jar");

    private record Result(int exit, List<String> out, String err) {
    }

    private static Result java(byte[] stdin, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-jar", JAR.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).start();
        try (OutputStream in = process.getOutputStream()) {
            in.write(stdin);
        }
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8).lines().toList(),
                new String(err, StandardCharsets.UTF_8));
    }

    private static byte[] golden() throws Exception {
        try (InputStream in = GoldenCases.class.getResourceAsStream(GoldenCases.RESOURCE)) {
            return in.readAllBytes();
        }
    }

    @Test
    void checksEveryGoldenCaseReadFromStandardInput() throws Exception {
        assertThat(JAR).exists();
        Result result = java(golden(), "loss", "--input", "-", "--check");
        assertThat(result.exit()).as(result.err()).isZero();
        int cases = GoldenCases.load().size();
        assertThat(result.out()).hasSize(cases + 1);
        assertThat(result.out()).last().isEqualTo(cases + " passed, 0 failed");
    }

    @Test
    void unreadableFileExitsNonZero() throws Exception {
        Result result = java(new byte[0], "loss", "--input", Directories.scratch("lossmon").resolve("none").toString());
        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.err()).contains("cannot read");
    }

    @Test
    void versionComesFromTheManifest() throws Exception {
        Result result = java(new byte[0], "--version");
        assertThat(result.exit()).isZero();
        assertThat(result.out()).singleElement().asString().startsWith("loss-monitor ").doesNotContain("development");
    }
}
