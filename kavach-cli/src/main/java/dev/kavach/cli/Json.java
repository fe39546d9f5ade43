package dev.kavach.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;

/**
 * The CLI's JSON, written by jackson-core's streaming generator straight to the output stream: nothing is
 * built in memory first, so a result with megabytes of output costs a buffer, not a copy. Every object the CLI
 * prints uses snake_case keys. Plain values ({@link Map} with string keys in insertion order, {@link List},
 * {@link String}, {@link Number}, {@link Boolean}, {@code null}) are written by {@link #value}.
 */
final class Json {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(com.fasterxml.jackson.core.StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build()
            .setCharacterEscapes(new LineSafeEscapes());

    private Json() {
    }

    /** A generator writing UTF-8 JSON to {@code out}; closing it flushes and leaves {@code out} open. */
    static JsonGenerator generator(OutputStream out) {
        try {
            return FACTORY.createGenerator(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Prints {@code value} as one line of JSON. */
    static void print(PrintStream out, Object value) {
        try (JsonGenerator json = generator(out)) {
            value(json, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.println();
    }

    /** The value as one line of JSON (for small values and tests). */
    static String write(Object value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator json = generator(bytes)) {
            value(json, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Writes one plain value. */
    static void value(JsonGenerator json, Object value) throws IOException {
        switch (value) {
            case null -> json.writeNull();
            case String s -> json.writeString(s);
            case Boolean b -> json.writeBoolean(b);
            case Double d -> number(json, d);
            case Float f -> number(json, f.doubleValue());
            case Number n -> json.writeNumber(n.longValue());
            case Map<?, ?> map -> {
                json.writeStartObject();
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    if (!(entry.getKey() instanceof String key)) {
                        throw new IllegalArgumentException("JSON object keys must be strings, got " + entry.getKey());
                    }
                    json.writeFieldName(key);
                    value(json, entry.getValue());
                }
                json.writeEndObject();
            }
            case List<?> list -> {
                json.writeStartArray();
                for (Object item : list) {
                    value(json, item);
                }
                json.writeEndArray();
            }
            default -> throw new IllegalArgumentException("no JSON form for " + value.getClass().getName());
        }
    }

    private static void number(JsonGenerator json, double d) throws IOException {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON has no form for " + d);
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            json.writeNumber((long) d);
        } else {
            json.writeNumber(d);
        }
    }

    /**
     * JSON's required escapes, plus U+2028 and U+2029 (so that the line stays one line everywhere) and every
     * surrogate: a pair escaped half by half reads back as the same character, and a lone one (not encodable
     * as UTF-8) stays valid JSON text.
     */
    private static final class LineSafeEscapes extends CharacterEscapes {
        private static final long serialVersionUID = 1L;
        private final int[] ascii = standardAsciiEscapesForJSON();

        @Override
        public int[] getEscapeCodesForAscii() {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch == 0x2028 || ch == 0x2029 || ch >= 0xD800 && ch <= 0xDFFF) {
                return new SerializedString(String.format("\\u%04x", ch));
            }
            return null;
        }
    }
}
