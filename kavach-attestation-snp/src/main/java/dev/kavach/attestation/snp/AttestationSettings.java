package dev.kavach.attestation.snp;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * Attestation settings under {@code kavach.backends.sev.attestation}. Certificates:
 * <ul>
 *   <li>{@code cert-dir}: where certificates are cached (default: {@code <state dir>/attestation-certs})</li>
 *   <li>{@code offline}: never fetch; the cache and explicit files are all there is (default false: missing
 *       certificates are fetched from AMD's KDS and cached)</li>
 *   <li>{@code kds.base-url}, {@code kds.max-retries} (3), {@code kds.max-retry-wait} (60s), {@code kds.timeout} (20s)</li>
 *   <li>{@code check-revocation}: check the ASK/ASVK against AMD's CRL (default false)</li>
 * </ul>
 * Appraisal (see {@link AppraisalPolicy}): {@code expected-measurements}, {@code max-vmpl} (0),
 * {@code min-reported-tcb.<component>}, {@code min-committed-tcb.<component>}, {@code min-launch-tcb.<component>},
 * {@code min-firmware} ("1.55.21"), {@code min-guest-svn}, {@code platform-info.require} and
 * {@code platform-info.forbid} (lists of {@link PlatformInfo#BITS} names), {@code id-key-digests},
 * {@code author-key-digests}, {@code allow-debug}. Unknown keys are errors that list the accepted ones.
 *
 * @param appraisal the operator's appraisal policy; the backend adds the nonce binding, the launched
 *                  policy and its own measurement per run
 */
public record AttestationSettings(Path certDir, boolean offline, URI kdsBaseUrl, int kdsMaxRetries, Duration kdsMaxRetryWait,
                                  Duration kdsTimeout, boolean checkRevocation, AppraisalPolicy appraisal) {
    public static final String DEFAULT_KDS = "https://kdsintf.amd.com";
    private static final String P = "attestation.";
    private static final Set<String> KEYS = Set.of("cert-dir", "offline", "kds.base-url", "kds.max-retries", "kds.max-retry-wait",
            "kds.timeout", "check-revocation", "expected-measurements", "max-vmpl", "min-firmware", "min-guest-svn",
            "platform-info.require", "platform-info.forbid", "id-key-digests", "author-key-digests", "allow-debug");
    private static final List<String> TCB_KEYS = List.of("min-reported-tcb", "min-committed-tcb", "min-launch-tcb");

    public AttestationSettings {
        requireNonNull(certDir, "certDir is null");
        requireNonNull(kdsBaseUrl, "kdsBaseUrl is null");
        requireNonNull(kdsMaxRetryWait, "kdsMaxRetryWait is null");
        requireNonNull(kdsTimeout, "kdsTimeout is null");
        requireNonNull(appraisal, "appraisal is null");
    }

    /** True unless offline: missing certificates are fetched from KDS. */
    public boolean kdsEnabled() {
        return !offline;
    }

    /** A certificate store for these settings: KDS behind the cache unless offline. */
    public CertificateStore certificateStore() {
        return new CertificateStore(certDir, offline ? null : KdsClient.from(this));
    }

    public static AttestationSettings from(BackendSettings settings, Path stateDir) {
        validateKeys(settings);
        Path certDir = settings.path(P + "cert-dir").orElse(stateDir.resolve("attestation-certs"));
        String base = settings.string(P + "kds.base-url", DEFAULT_KDS);
        URI uri;
        try {
            uri = new URI(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new URISyntaxException(base, "scheme must be http or https");
            }
        } catch (URISyntaxException e) {
            throw settings.invalid(P + "kds.base-url", base, "an http(s) URL such as " + DEFAULT_KDS);
        }
        int retries = settings.integer(P + "kds.max-retries", 3);
        if (retries < 0 || retries > 20) {
            throw settings.invalid(P + "kds.max-retries", Integer.toString(retries), "0..20");
        }
        return new AttestationSettings(certDir, settings.bool(P + "offline", false), uri, retries,
                settings.duration(P + "kds.max-retry-wait", Duration.ofSeconds(60)),
                settings.duration(P + "kds.timeout", Duration.ofSeconds(20)),
                settings.bool(P + "check-revocation", false), appraisal(settings));
    }

    private static void validateKeys(BackendSettings settings) {
        for (String key : settings.keys()) {
            if (!key.startsWith(P)) {
                continue;
            }
            String rest = key.substring(P.length());
            boolean tcb = TCB_KEYS.stream().anyMatch(t -> rest.startsWith(t + "."));
            if (KEYS.contains(rest) || tcb) {
                continue;
            }
            String fix = rest.equals("kds.enabled")
                    ? "KDS is on by default now: remove it, or set " + settings.fullKey(P + "offline") + " = true to never fetch"
                    : "use one of: " + String.join(", ", new TreeSet<>(KEYS)) + ", " + String.join(".<component>, ", TCB_KEYS) + ".<component>";
            String origin = settings.origin(key);
            throw new ConfigurationException("unknown setting " + settings.fullKey(key) + (origin.isEmpty() ? "" : " (set at " + origin + ")"), fix);
        }
    }

    private static AppraisalPolicy appraisal(BackendSettings settings) {
        AppraisalPolicy.Builder b = AppraisalPolicy.builder();
        String key = "";
        String value = "";
        try {
            for (String m : settings.list(key = P + "expected-measurements")) {
                value = m;
                b.expectMeasurement(m);
            }
            int vmpl = settings.integer(P + "max-vmpl", 0);
            if (vmpl < 0 || vmpl > 3) {
                throw settings.invalid(P + "max-vmpl", Integer.toString(vmpl), "0..3 (0, the default, accepts only the most privileged level)");
            }
            b.maxVmpl(vmpl);
            for (String k : settings.keys()) {
                for (String tcb : TCB_KEYS) {
                    if (k.startsWith(P + tcb + ".")) {
                        key = k;
                        value = settings.string(k, "");
                        String component = k.substring((P + tcb + ".").length());
                        int spl = settings.integer(k, 0);
                        switch (tcb) {
                            case "min-reported-tcb" -> b.minimumTcb(component, spl);
                            case "min-committed-tcb" -> b.minimumCommittedTcb(component, spl);
                            default -> b.minimumLaunchTcb(component, spl);
                        }
                    }
                }
            }
            if (settings.string(key = P + "min-firmware").isPresent()) {
                value = settings.string(key).get();
                b.minimumFirmware(FirmwareVersion.parse(value));
            }
            long svn = settings.longValue(P + "min-guest-svn", 0);
            if (svn < 0 || svn > 0xFFFF_FFFFL) {
                throw settings.invalid(P + "min-guest-svn", Long.toString(svn), "0..4294967295");
            }
            b.minimumGuestSvn(svn);
            for (String bit : settings.list(key = P + "platform-info.require")) {
                value = bit;
                b.requirePlatformInfo(bit);
            }
            for (String bit : settings.list(key = P + "platform-info.forbid")) {
                value = bit;
                b.forbidPlatformInfo(bit);
            }
            for (String d : settings.list(key = P + "id-key-digests")) {
                value = d;
                b.acceptIdKeyDigest(d);
            }
            for (String d : settings.list(key = P + "author-key-digests")) {
                value = d;
                b.acceptAuthorKeyDigest(d);
            }
            b.allowDebug(settings.bool(P + "allow-debug", false));
            return b.build();
        } catch (IllegalArgumentException e) {
            throw settings.invalid(key, value, e.getMessage());
        }
    }
}
