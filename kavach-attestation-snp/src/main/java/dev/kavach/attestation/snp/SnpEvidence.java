package dev.kavach.attestation.snp;


import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Portable evidence for one command run by the {@code sev} backend: everything a verifier on another
 * machine needs, offline, to check that AMD hardware vouched for this result. A JSON object (UTF-8):
 * <pre>
 * {
 *   "format": "kavach-sev-snp-evidence",
 *   "version": 1,
 *   "report": BASE64,                 the 1184-byte ATTESTATION_REPORT, standard base64 with padding
 *   "certificates": {
 *     "vek": BASE64,                  the DER VCEK or VLEK that signed the report
 *     "ask": BASE64,                  the DER ASK (VCEK) or ASVK (VLEK) that signed the VEK
 *     "ark": BASE64                   the DER ARK: the verifier pins it to AMD's root, so shipping it costs no trust
 *   },
 *   "statement": TEXT,                the ResultStatement the guest vouched for; REPORT_DATA = SHA-512(TEXT as UTF-8)
 *   "measurement": HEX,               96 lower-case hex digits: the launch measurement the host computed and pinned
 *   "launch_policy": "0x..."          the SNP guest policy the host launched with (hex u64); the report's POLICY must equal it
 * }
 * </pre>
 * Unknown keys, another format or version, bad base64 or hex are errors naming the key: a new format
 * gets a new version number.
 */
public record SnpEvidence(AttestationReport report, VekChain chain, ResultStatement statement, String measurement, long launchPolicy) {
    public static final String FORMAT = "kavach-sev-snp-evidence";
    public static final int VERSION = 1;
    private static final Set<String> KEYS = Set.of("format", "version", "report", "certificates", "statement", "measurement", "launch_policy");
    private static final Set<String> CERT_KEYS = Set.of("vek", "ask", "ark");

    public SnpEvidence {
        requireNonNull(report, "report is null");
        requireNonNull(chain, "chain is null");
        requireNonNull(statement, "statement is null");
        measurement = measurementHex(requireNonNull(measurement, "measurement is null"), "measurement");
    }

    /** 96 lower-case hex digits, or an {@link IllegalArgumentException} naming {@code what}. */
    public static String measurementHex(String hex, String what) {
        String t = hex.trim().toLowerCase(java.util.Locale.ROOT);
        if (!t.matches("[0-9a-f]{96}")) {
            throw new IllegalArgumentException(what + " must be 96 hex digits (a 48-byte SHA-384 launch digest), got '"
                    + (t.length() > 100 ? t.substring(0, 100) + "..." : t) + "'");
        }
        return t;
    }

    /** The evidence as JSON text, keys in the documented order. */
    public String toJson() {
        Base64.Encoder b64 = Base64.getEncoder();
        Map<String, Object> certs = new LinkedHashMap<>();
        certs.put("vek", b64.encodeToString(der(chain.vek())));
        certs.put("ask", b64.encodeToString(der(chain.ask())));
        certs.put("ark", b64.encodeToString(der(chain.ark())));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("version", VERSION);
        m.put("report", b64.encodeToString(report.bytes()));
        m.put("certificates", certs);
        m.put("statement", statement.text());
        m.put("measurement", measurement);
        m.put("launch_policy", String.format("0x%x", launchPolicy));
        return Json.write(m);
    }

    /**
     * Parses evidence JSON.
     *
     * @throws IllegalArgumentException naming the key that is missing or malformed
     * @throws ReportParseException     when the report inside is malformed
     */
    public static SnpEvidence parse(String json) {
        Object root = Json.read(json);
        if (!(root instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("evidence must be a JSON object");
        }
        for (Object key : m.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("evidence has an unknown key \"" + key + "\" (version " + VERSION + " has " + KEYS + ")");
            }
        }
        String format = string(m, "format");
        if (!FORMAT.equals(format)) {
            throw new IllegalArgumentException("evidence \"format\" is \"" + format + "\", expected \"" + FORMAT + "\"");
        }
        Object version = m.get("version");
        if (!(version instanceof Long v) || v != VERSION) {
            throw new IllegalArgumentException("evidence \"version\" is " + version + "; this Kavach reads version " + VERSION);
        }
        AttestationReport report = AttestationReport.parse(base64(string(m, "report"), "report"));
        if (!(m.get("certificates") instanceof Map<?, ?> certs)) {
            throw new IllegalArgumentException("evidence \"certificates\" must be an object with vek, ask and ark");
        }
        for (Object key : certs.keySet()) {
            if (!CERT_KEYS.contains(key)) {
                throw new IllegalArgumentException("evidence \"certificates\" has an unknown key \"" + key + "\" (expected vek, ask, ark)");
            }
        }
        VekChain chain = new VekChain(cert(certs, "vek"), cert(certs, "ask"), cert(certs, "ark"));
        ResultStatement statement;
        try {
            statement = ResultStatement.parse(string(m, "statement"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("evidence \"statement\" is not a result statement: " + e.getMessage(), e);
        }
        String measurement = measurementHex(string(m, "measurement"), "evidence \"measurement\"");
        String policy = string(m, "launch_policy");
        long launchPolicy;
        try {
            if (!policy.startsWith("0x")) {
                throw new NumberFormatException();
            }
            launchPolicy = Long.parseUnsignedLong(policy.substring(2), 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("evidence \"launch_policy\" is \"" + policy + "\", expected a hex u64 such as \"0x30000\"");
        }
        return new SnpEvidence(report, chain, statement, measurement, launchPolicy);
    }

    private static String string(Map<?, ?> m, String key) {
        Object v = m.get(key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("evidence \"" + key + "\" " + (v == null ? "is missing" : "must be a string"));
        }
        return s;
    }

    private static byte[] base64(String text, String key) {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("evidence \"" + key + "\" is not standard base64: " + e.getMessage());
        }
    }

    private static X509Certificate cert(Map<?, ?> certs, String key) {
        Object v = certs.get(key);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("evidence \"certificates\"." + key + " " + (v == null ? "is missing" : "must be a string"));
        }
        try {
            return CertificateFiles.parse(base64(s, "certificates." + key), "evidence certificates." + key).get(0);
        } catch (CertificateUnavailableException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private static byte[] der(X509Certificate cert) {
        try {
            return cert.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode certificate", e);
        }
    }

    /** The report's MEASUREMENT in hex. */
    public String reportMeasurement() {
        return HexFormat.of().formatHex(report.measurement());
    }
}
