package dev.kavach.attestation.snp;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * The root keys (ARKs) a verifier trusts, by SHA-256 fingerprint of their DER, one per generation.
 * {@link #amd()} is AMD's Milan, Genoa and Turin roots, the only anchors production code should use;
 * other anchors exist so tests can exercise the logic with a self-made chain.
 */
public final class TrustAnchors {
    private final Map<SevGeneration, byte[]> pins;

    private TrustAnchors(Map<SevGeneration, byte[]> pins) {
        this.pins = pins;
    }

    /** AMD's published ARKs ({@link SevGeneration#arkSha256()}). */
    public static TrustAnchors amd() {
        Map<SevGeneration, byte[]> pins = new EnumMap<>(SevGeneration.class);
        for (SevGeneration g : SevGeneration.values()) {
            pins.put(g, g.arkSha256());
        }
        return new TrustAnchors(pins);
    }

    /** Custom anchors: SHA-256 fingerprints of ARK DER encodings by generation. */
    public static TrustAnchors of(Map<SevGeneration, byte[]> pins) {
        Map<SevGeneration, byte[]> copy = new EnumMap<>(SevGeneration.class);
        requireNonNull(pins, "pins is null").forEach((g, fp) -> {
            if (fp.length != 32) {
                throw new IllegalArgumentException("ARK fingerprint for " + g + " must be 32 bytes (SHA-256), got " + fp.length);
            }
            copy.put(g, fp.clone());
        });
        return new TrustAnchors(copy);
    }

    /** The generation whose pinned ARK has this fingerprint. */
    public Optional<SevGeneration> generationOf(byte[] sha256) {
        return pins.entrySet().stream().filter(e -> Arrays.equals(e.getValue(), sha256)).map(Map.Entry::getKey).findFirst();
    }

    /** The generation whose pinned ARK this certificate is. */
    public Optional<SevGeneration> generationOf(java.security.cert.X509Certificate ark) {
        return generationOf(ReportVerifier.sha256(ark));
    }

    public boolean isAmd() {
        return pins.size() == SevGeneration.values().length
                && pins.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), e.getKey().arkSha256()));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("TrustAnchors[");
        pins.forEach((g, fp) -> sb.append(g.kdsName()).append('=').append(HexFormat.of().formatHex(fp)).append(' '));
        return sb.toString().trim() + "]";
    }
}
