package io.lossmonitor.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

/** The model of a windows query, as a client encodes it in the path: decoded once, as the URI does. */
class HttpApiPathTest {

    private static String model(String rawPath) {
        return HttpApi.windowsModel(URI.create("http://localhost:8080" + rawPath).getPath());
    }

    @Test
    void aModelIdIsTakenFromThePathDecodedOnce() {
        assertThat(model("/api/v1/models/ranker/windows")).isEqualTo("ranker");
        // '+' is literal in a path (only form-encoded queries make it a space), and "%25" is a percent sign.
        assertThat(model("/api/v1/models/fraud+v2/windows")).isEqualTo("fraud+v2");
        assertThat(model("/api/v1/models/50%2525/windows")).isEqualTo("50%25");
        assertThat(model("/api/v1/models/team%2Franker%20v2/windows")).isEqualTo("team/ranker v2");
        assertThat(model("/api/v1/models/%C3%A9t%C3%A9/windows")).isEqualTo("été");
    }

    @Test
    void otherPathsAreNotWindowQueries() {
        assertThat(model("/api/v1/models//windows")).isNull();
        assertThat(model("/api/v1/models/windows")).isNull();
        assertThat(model("/api/v1/models/ranker")).isNull();
        assertThat(model("/api/v1/other/ranker/windows")).isNull();
    }
}
