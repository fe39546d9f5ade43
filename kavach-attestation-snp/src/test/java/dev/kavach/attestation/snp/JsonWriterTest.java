package dev.kavach.attestation.snp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JsonWriterTest {
    @Test
    void writesNestedValuesInOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("b", 1);
        m.put("a", List.of(true, "x"));
        m.put("n", null);
        m.put("e", Map.of());
        m.put("l", 5L);
        assertEquals("{\n  \"b\": 1,\n  \"a\": [\n    true,\n    \"x\"\n  ],\n  \"n\": null,\n  \"e\": {},\n  \"l\": 5\n}\n", JsonWriter.write(m));
        assertEquals("[]\n", JsonWriter.write(new ArrayList<>()));
    }

    @Test
    void escapesWhatJsonRequires() {
        assertEquals("\"q\\\" b\\\\ n\\n t\\t c\\u0001 é\"\n", JsonWriter.write("q\" b\\ n\n t\t c\u0001 é"));
        assertEquals("\"[1, 2]\"\n", JsonWriter.write(Arrays.asList(1, 2).toString()));
    }
}
