package dev.kavach.attestation.snp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {
    @Test
    void writesNestedValuesInOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", 1);
        m.put("a", List.of(true, "x"));
        m.put("n", null);
        m.put("e", Map.of());
        m.put("l", 5L);
        assertEquals("{\n  \"b\": 1,\n  \"a\": [\n    true,\n    \"x\"\n  ],\n  \"n\": null,\n  \"e\": {},\n  \"l\": 5\n}\n", Json.write(m));
        assertEquals("[]\n", Json.write(new ArrayList<>()));
        assertEquals("{\n  \"nested\": {\n    \"empty\": []\n  }\n}\n", Json.write(Map.of("nested", Map.of("empty", List.of()))));
    }

    @Test
    void escapesWhatJsonRequires() {
        assertEquals("\"q\\\" b\\\\ n\\n t\\t c\\u0001 é\"\n", Json.write("q\" b\\ n\n t\t c\u0001 é"));
        assertEquals("\"[1, 2]\"\n", Json.write(Arrays.asList(1, 2).toString()));
    }

    @Test
    void readsWhatItWrites() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("text", "line\n\"quoted\" \\ tab\t \u0001 é");
        value.put("number", -42L);
        value.put("list", List.of(true, false, Map.of()));
        value.put("none", null);
        assertEquals(value, Json.read(Json.write(value)));
        assertEquals("A/", Json.read("\"\\u0041\\/\""));
    }

    @Test
    void refusesDuplicatesTrailingContentFractionsAndDeepNesting() {
        // Evidence is untrusted: each of these is refused with the offset and what was wrong.
        String[][] cases = {
                {"{\"a\": 1, \"a\": 2}", "Duplicate field 'a'"},
                {"{} x", "Unrecognized token 'x'"},
                {"{} {}", "unexpected content after the JSON value"},
                {"1.5", "only integers"},
                {"1e3", "only integers"},
                {"99999999999999999999", "integer out of range"},
                {"[1,]", "Unexpected character (']'"},
                {"\"a\nb\"", "Illegal unquoted character"},
                {"\"\\x\"", "Unrecognized character escape 'x'"},
                {"[".repeat(40) + "]".repeat(40), "nesting depth (33) exceeds the maximum allowed (32"},
                {"01", "Leading zeroes not allowed"},
                {"", "unexpected end of input"},
                {"[1", "Unexpected end-of-input"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.read(c[0]), c[0]);
            assertTrue(e.getMessage().startsWith("invalid JSON at offset ") && e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }
}
