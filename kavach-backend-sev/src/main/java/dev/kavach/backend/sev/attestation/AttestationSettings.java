package dev.kavach.backend.sev.attestation;

import dev.kavach.api.BackendSettings;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * Attestation settings under {@code kavach.backends.sev.attestation}:
 * <ul>
 *   <li>{@code cert-dir}: where certificates are cached (default: {@code <state dir>/attestation-certs})</li>
 *   <li>{@code kds.enabled}: fetch missing certificates from AMD's KDS over HTTP (default false: offline)</li>
 *   <li>{@code kds.base-url}: the KDS base URL (default {@value #DEFAULT_KDS})</li>
 *   <li>{@code kds.max-retries}: retries after HTTP 429 (default 3)</li>
 *   <li>{@code kds.max-retry-wait}: the longest Retry-After honoured (default 60s)</li>
 *   <li>{@code kds.timeout}: per request (default 20s)</li>
 * </ul>
 */
public record AttestationSettings(Path certDir, boolean kdsEnabled, URI kdsBaseUrl, int kdsMaxRetries, Duration kdsMaxRetryWait,
                                  Duration kdsTimeout) {
    public static final String DEFAULT_KDS = "https://kdsintf.amd.com";

    public AttestationSettings {
        requireNonNull(certDir, "certDir is null");
        requireNonNull(kdsBaseUrl, "kdsBaseUrl is null");
        requireNonNull(kdsMaxRetryWait, "kdsMaxRetryWait is null");
        requireNonNull(kdsTimeout, "kdsTimeout is null");
    }

    public static AttestationSettings from(BackendSettings settings, Path stateDir) {
        Path certDir = settings.path("attestation.cert-dir").orElse(stateDir.resolve("attestation-certs"));
        String base = settings.string("attestation.kds.base-url", DEFAULT_KDS);
        URI uri;
        try {
            uri = new URI(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new URISyntaxException(base, "scheme must be http or https");
            }
        } catch (URISyntaxException e) {
            throw settings.invalid("attestation.kds.base-url", base, "an http(s) URL such as " + DEFAULT_KDS);
        }
        int retries = settings.integer("attestation.kds.max-retries", 3);
        if (retries < 0 || retries > 20) {
            throw settings.invalid("attestation.kds.max-retries", Integer.toString(retries), "0..20");
        }
        return new AttestationSettings(certDir, settings.bool("attestation.kds.enabled", false), uri, retries,
                settings.duration("attestation.kds.max-retry-wait", Duration.ofSeconds(60)),
                settings.duration("attestation.kds.timeout", Duration.ofSeconds(20)));
    }
}
