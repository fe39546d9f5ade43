package dev.kavach.attestation.snp;

import dev.kavach.api.Attestation.Check;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers the outcome of the time-independent chain checks (ARK pin, the three RSASSA-PSS signatures)
 * per exact certificate triple, so that a host verifying many reports from one chip pays for the RSA
 * verifications once. Validity periods are re-checked on every report against the verifier's clock.
 * Bounded: cleared when it reaches its capacity.
 */
public final class ChainCache {
    private final int capacity;
    private final Map<String, List<Check>> results = new ConcurrentHashMap<>();

    public ChainCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.capacity = capacity;
    }

    List<Check> get(VekChain chain) {
        return results.get(key(chain));
    }

    void put(VekChain chain, List<Check> checks) {
        if (results.size() >= capacity) {
            results.clear();
        }
        results.put(key(chain), List.copyOf(checks));
    }

    public int size() {
        return results.size();
    }

    private static String key(VekChain chain) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(chain.vek().getEncoded());
            sha.update(chain.ask().getEncoded());
            sha.update(chain.ark().getEncoded());
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot fingerprint certificate chain", e);
        }
    }
}
