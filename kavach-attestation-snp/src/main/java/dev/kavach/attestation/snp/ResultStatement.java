package dev.kavach.attestation.snp;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * What a guest vouches for about one exec, as the exact text whose SHA-512 is the report's REPORT_DATA.
 *
 * <p>Format (UTF-8, every line ends in LF, no other whitespace): the header line {@value #HEADER}, then one
 * {@code key value} line per field in a fixed order. Keys are lower-case {@code [a-z0-9-]+}; values are
 * non-empty and contain no space, tab, CR or LF (digests are lower-case hex, counts are decimal). The first
 * field is always {@code nonce}: the host's fresh nonce for this exec, in hex. REPORT_DATA is
 * {@code SHA-512(text)}, all 64 bytes, so a remote verifier recomputes it from the text alone and then
 * compares each digest with what it received.
 */
public final class ResultStatement {
    /** The first line of every statement; a new format gets a new header. */
    public static final String HEADER = "kavach-snp-result v1";

    private final Map<String, String> fields;

    private ResultStatement(Map<String, String> fields) {
        this.fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /**
     * A statement with these fields, in the map's iteration order.
     *
     * @throws IllegalArgumentException if a key or value breaks the format, or {@code nonce} is not first
     */
    public static ResultStatement of(Map<String, String> fields) {
        requireNonNull(fields, "fields is null");
        if (fields.isEmpty() || !"nonce".equals(fields.keySet().iterator().next())) {
            throw new IllegalArgumentException("a result statement starts with its nonce field, got keys " + fields.keySet());
        }
        fields.forEach((key, value) -> {
            if (key == null || !key.matches("[a-z0-9-]+")) {
                throw new IllegalArgumentException("result statement key '" + key + "' is not [a-z0-9-]+");
            }
            if (value == null || value.isEmpty() || !value.matches("[^ \t\r\n]+")) {
                throw new IllegalArgumentException("result statement value of '" + key + "' is empty or holds whitespace");
            }
        });
        return new ResultStatement(fields);
    }

    /**
     * Parses the exact text a guest produced.
     *
     * @throws IllegalArgumentException naming the line that breaks the format
     */
    public static ResultStatement parse(String text) {
        requireNonNull(text, "text is null");
        if (!text.endsWith("\n")) {
            throw new IllegalArgumentException("a result statement ends with a newline");
        }
        String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
        if (!HEADER.equals(lines[0])) {
            throw new IllegalArgumentException("a result statement starts with '" + HEADER + "', got '" + abbreviate(lines[0]) + "'");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String[] kv = lines[i].split(" ", -1);
            if (kv.length != 2) {
                throw new IllegalArgumentException("result statement line " + (i + 1) + " is not 'key value': '" + abbreviate(lines[i]) + "'");
            }
            if (fields.putIfAbsent(kv[0], kv[1]) != null) {
                throw new IllegalArgumentException("result statement repeats the key '" + abbreviate(kv[0]) + "'");
            }
        }
        ResultStatement statement = of(fields);
        if (!statement.text().equals(text)) {
            throw new IllegalArgumentException("result statement is not in canonical form");
        }
        return statement;
    }

    /** The fields, in order. */
    public Map<String, String> fields() {
        return fields;
    }

    /** The value of a field. @throws IllegalArgumentException if the statement has no such field */
    public String get(String key) {
        String value = fields.get(key);
        if (value == null) {
            throw new IllegalArgumentException("the result statement has no '" + key + "' field (it has " + fields.keySet() + ")");
        }
        return value;
    }

    /** The canonical text: header, then one line per field. */
    public String text() {
        StringBuilder text = new StringBuilder(HEADER).append('\n');
        fields.forEach((key, value) -> text.append(key).append(' ').append(value).append('\n'));
        return text.toString();
    }

    /** REPORT_DATA: SHA-512 of {@link #text()}, 64 bytes. */
    public byte[] reportData() {
        try {
            return MessageDigest.getInstance("SHA-512").digest(text().getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 is missing from this JDK", e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ResultStatement other && text().equals(other.text());
    }

    @Override
    public int hashCode() {
        return text().hashCode();
    }

    @Override
    public String toString() {
        return text();
    }
}
