package dev.kavach.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.kavach.api.Attestation;
import dev.kavach.api.CollectedFile;
import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecResult;
import dev.kavach.api.StreamOutput;

/**
 * The JSON form of an {@link ExecResult} for {@code kavach run --json}: every field, nothing lost, written
 * field by field to the output. The command's output comes from an {@link OutputSpool} and is copied through
 * in chunks, so that a result with 2 x 16 MiB of output needs no more memory than one with none. Its shape is
 * {@code kavach-cli/src/main/resources/dev/kavach/cli/run-result.schema.json}.
 */
final class ResultJson {
    private ResultJson() {
    }

    static void write(OutputStream out, String backendId, ExecResult result, OutputSpool spool) throws IOException {
        try (JsonGenerator json = Json.generator(out)) {
            json.writeStartObject();
            json.writeStringField("backend", backendId);
            json.writeNumberField("exit_code", result.exitCode());
            json.writeStringField("outcome", result.outcome().name());
            json.writeStringField("detail", result.detail());
            json.writeNumberField("duration_ms", result.duration().toMillis());
            json.writeFieldName("stdout");
            stream(json, spool.stdout(), result.stdout());
            json.writeFieldName("stderr");
            stream(json, spool.stderr(), result.stderr());
            json.writeArrayFieldStart("enforcement");
            for (Enforcement e : result.enforcement()) {
                json.writeStartObject();
                json.writeStringField("limit", e.limit());
                json.writeStringField("mechanism", e.mechanism());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeFieldName("attestation");
            if (result.attestation() == null) {
                json.writeNull();
            } else {
                attestation(json, result.attestation());
            }
            json.writeArrayFieldStart("files");
            for (CollectedFile file : result.files()) {
                // What was collected, not the bytes: --get wrote those to files.
                json.writeStartObject();
                json.writeStringField("path", file.path());
                json.writeNumberField("size", file.size());
                json.writeStringField("sha256", sha256(file.content()));
                json.writeStringField("mode", String.format("%04o", file.mode() & 07777));
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        }
    }

    /** A Kavach failure, for {@code --json}: what failed, the fix, and the exit code (the process's own). */
    static void failure(OutputStream out, String message, String fix, String type, int exitCode) throws IOException {
        try (JsonGenerator json = Json.generator(out)) {
            json.writeStartObject();
            json.writeObjectFieldStart("error");
            json.writeStringField("message", message);
            json.writeStringField("fix", fix);
            json.writeStringField("type", type);
            json.writeEndObject();
            json.writeNumberField("exit_code", exitCode);
            json.writeEndObject();
        }
    }

    /**
     * The text (malformed UTF-8 replaced), plus {@code base64} of the exact bytes when they are not valid
     * UTF-8, the count, and how much the output limit dropped.
     */
    private static void stream(JsonGenerator json, OutputSpool.Spool spool, StreamOutput output) throws IOException {
        json.writeStartObject();
        json.writeFieldName("text");
        try (Reader text = new InputStreamReader(spool.open(), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE))) {
            json.writeString(text, -1);
        }
        if (!isUtf8(spool)) {
            json.writeFieldName("base64");
            try (InputStream bytes = spool.open()) {
                json.writeBinary(bytes, -1);
            }
        }
        json.writeNumberField("bytes", spool.size());
        json.writeBooleanField("truncated", output.truncated());
        json.writeNumberField("dropped_bytes", output.droppedBytes());
        json.writeEndObject();
    }

    private static void attestation(JsonGenerator json, Attestation attestation) throws IOException {
        json.writeStartObject();
        json.writeStringField("format", attestation.format());
        json.writeBooleanField("verified", attestation.verified());
        json.writeFieldName("claims");
        Json.value(json, new java.util.LinkedHashMap<String, Object>(new TreeMap<>(attestation.claims())));
        json.writeArrayFieldStart("checks");
        for (Attestation.Check check : attestation.checks()) {
            json.writeStartObject();
            json.writeStringField("name", check.name());
            json.writeBooleanField("passed", check.passed());
            json.writeStringField("detail", check.detail());
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeEndObject();
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Whether the spooled bytes are valid UTF-8, decoded in chunks rather than read whole. */
    static boolean isUtf8(OutputSpool.Spool spool) throws IOException {
        try (Reader reader = new InputStreamReader(spool.open(), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT))) {
            char[] buffer = new char[8192];
            while (reader.read(buffer) >= 0) {
                // decoding is the check
            }
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
