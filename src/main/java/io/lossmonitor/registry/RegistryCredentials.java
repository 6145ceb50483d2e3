package io.lossmonitor.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.function.LongSupplier;

/**
 * The {@code Authorization} header of the registry's requests: HTTP basic, a fixed bearer token, or a bearer token
 * obtained with OAuth 2.0 client credentials (RFC 6749 section 4.4) from the token endpoint, kept until shortly before
 * it expires and fetched again after a 401 (a token the identity provider revoked). Thread-safe.
 */
final class RegistryCredentials {

    /** A token whose lifetime the endpoint does not say is used this long. */
    static final Duration UNKNOWN_LIFETIME = Duration.ofMinutes(1);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String fixed;
    private final RegistryConfig.BearerAuth oauth;
    private final HttpClient http;
    private final Duration timeout;
    private final LongSupplier clock;
    private String token;
    private long renewAtMs;

    RegistryCredentials(RegistryConfig config, HttpClient http, LongSupplier clock) {
        RegistryConfig.BearerAuth bearer = config.bearer();
        this.oauth = bearer != null && bearer.oauth() ? bearer : null;
        if (bearer != null && !bearer.oauth()) {
            this.fixed = "Bearer " + bearer.staticToken();
        } else if (config.userInfo() != null) {
            this.fixed = "Basic " + Base64.getEncoder().encodeToString(config.userInfo().getBytes(StandardCharsets.UTF_8));
        } else {
            this.fixed = null;
        }
        this.http = http;
        this.timeout = config.requestTimeout();
        this.clock = clock;
    }

    /** Whether a 401 may be cured by fetching a new token. */
    boolean renewable() {
        return oauth != null;
    }

    /**
     * The header value, or null when the registry needs none.
     *
     * @throws RegistryException when a token is needed and the token endpoint refuses the client's credentials (not
     *     retriable) or cannot be reached or fails (retriable)
     */
    synchronized String authorization() {
        if (oauth == null) {
            return fixed;
        }
        if (token == null || clock.getAsLong() >= renewAtMs) {
            fetch();
        }
        return "Bearer " + token;
    }

    /** Forgets the token that the registry refused, unless another thread has already replaced it. */
    synchronized void refused(String authorization) {
        if (token != null && authorization != null && authorization.equals("Bearer " + token)) {
            token = null;
        }
    }

    private void fetch() {
        String form = "grant_type=client_credentials" + (oauth.scope() == null || oauth.scope().isEmpty() ? ""
                : "&scope=" + URLEncoder.encode(oauth.scope(), StandardCharsets.UTF_8));
        String client = URLEncoder.encode(oauth.clientId(), StandardCharsets.UTF_8) + ":"
                + URLEncoder.encode(oauth.clientSecret(), StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(oauth.issuer()).timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(client.getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8)).build();
        long sentAt = clock.getAsLong();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new RegistryException(RegistryException.UNREACHABLE, "the token endpoint " + oauth.issuer()
                    + " did not answer: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(RegistryException.UNREACHABLE, "interrupted while asking the token endpoint"
                    + " for a token", e);
        }
        JsonNode answer = parse(response.body());
        int status = response.statusCode();
        if (status / 100 != 2 || !answer.path("access_token").isTextual()) {
            String why = answer.has("error") ? answer.path("error").asText()
                    + (answer.has("error_description") ? ": " + answer.path("error_description").asText() : "")
                    : status / 100 == 2 ? "no access_token in the answer" : "no OAuth error given";
            // 5xx: the endpoint's trouble, worth trying again; 4xx (or no token): these credentials will not do.
            throw new RegistryException(status, status, "the token endpoint "
                    + oauth.issuer() + " answered " + status + " to the client credentials of '" + oauth.clientId()
                    + "': " + why);
        }
        token = answer.path("access_token").asText();
        // A number by RFC 6749; some providers send it as a string.
        JsonNode expiresIn = answer.path("expires_in");
        long lifetimeMs = expiresIn.isIntegralNumber() || expiresIn.isTextual() && expiresIn.asText().matches("\\d{1,12}")
                ? Math.max(0, expiresIn.asLong()) * 1000 : UNKNOWN_LIFETIME.toMillis();
        // Renew ahead of the expiry by the threshold, but never use less than half of a short-lived token.
        renewAtMs = sentAt + lifetimeMs - Math.min(oauth.refreshThreshold().toMillis(), lifetimeMs / 2);
    }

    private static JsonNode parse(byte[] body) {
        try {
            JsonNode node = JSON.readTree(body);
            return node == null ? JSON.createObjectNode() : node;
        } catch (IOException | RuntimeException e) {
            return JSON.createObjectNode();
        }
    }
}
