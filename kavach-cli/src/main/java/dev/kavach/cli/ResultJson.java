package dev.kavach.cli;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.kavach.api.Attestation;
import dev.kavach.api.Enforcement;
import dev.kavach.api.ExecResult;
import dev.kavach.api.StreamOutput;

/** The JSON form of an {@link ExecResult} for {@code kavach run --json}: every field, nothing lost. */
final class ResultJson {
    private ResultJson() {
    }

    static Map<String, Object> of(String backendId, ExecResult result) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("backend", backendId);
        json.put("exitCode", result.exitCode());
        json.put("outcome", result.outcome().name());
        json.put("detail", result.detail());
        json.put("durationMs", result.duration().toMillis());
        json.put("stdout", stream(result.stdout()));
        json.put("stderr", stream(result.stderr()));
        List<Object> enforcement = new ArrayList<>();
        for (Enforcement e : result.enforcement()) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("limit", e.limit());
            item.put("mechanism", e.mechanism());
            enforcement.add(item);
        }
        json.put("enforcement", enforcement);
        json.put("attestation", result.attestation() == null ? null : attestation(result.attestation()));
        return json;
    }

    /**
     * The text, plus {@code base64} of the exact bytes when they are not valid UTF-8 (the text then has
     * replacement characters and would lose what the command wrote).
     */
    private static Map<String, Object> stream(StreamOutput output) {
        byte[] bytes = output.bytes();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("text", output.text());
        if (!isUtf8(bytes)) {
            json.put("base64", Base64.getEncoder().encodeToString(bytes));
        }
        json.put("bytes", bytes.length);
        json.put("truncated", output.truncated());
        json.put("droppedBytes", output.droppedBytes());
        return json;
    }

    private static Map<String, Object> attestation(Attestation attestation) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format", attestation.format());
        json.put("verified", attestation.verified());
        json.put("claims", new LinkedHashMap<String, Object>(new java.util.TreeMap<>(attestation.claims())));
        List<Object> checks = new ArrayList<>();
        for (Attestation.Check check : attestation.checks()) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("name", check.name());
            item.put("passed", check.passed());
            item.put("detail", check.detail());
            checks.add(item);
        }
        json.put("checks", checks);
        return json;
    }

    static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
