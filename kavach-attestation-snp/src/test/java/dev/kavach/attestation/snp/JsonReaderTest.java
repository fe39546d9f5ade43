package dev.kavach.attestation.snp;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reader reads what the writer writes, and refuses what an evidence file must not contain. */
class JsonReaderTest {
    @Test
    void readsWhatTheWriterWrites() {
        Map<String, Object> value = new java.util.LinkedHashMap<>();
        value.put("text", "line\n\"quoted\" \\ tab\t \u0001 é");
        value.put("number", -42L);
        value.put("list", List.of(true, false, Map.of()));
        value.put("none", null);
        assertEquals(value, JsonReader.read(JsonWriter.write(value)));
        assertEquals("A/", JsonReader.read("\"\\u0041\\/\""));
    }

    @Test
    void refusesDuplicatesTrailingContentFractionsAndDeepNesting() {
        String[][] cases = {
                {"{\"a\": 1, \"a\": 2}", "duplicate key \"a\""},
                {"{} x", "unexpected content"},
                {"1.5", "only integers"},
                {"[1,]", "unexpected character"},
                {"\"a\nb\"", "control character"},
                {"\"\\x\"", "unknown escape"},
                {"[".repeat(40) + "]".repeat(40), "nesting deeper than 32"},
                {"01", "malformed number"},
                {"", "unexpected end"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JsonReader.read(c[0]), c[0]);
            assertTrue(e.getMessage().startsWith("invalid JSON at offset") && e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }
}
