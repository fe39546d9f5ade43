package dev.kavach.cli;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSON the CLI prints is read back by an independent strict JSON parser, strings intact. */
class JsonTest {
    private static Config parse(String json) {
        return ConfigFactory.parseString(json, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
    }

    @Test
    void stringsSurviveEscapingExactly() {
        String nasty = "quote\" backslash\\ newline\n tab\t cr\r nul\0 bell\u0007 del\u007f ls\u2028 emoji\uD83D\uDE00 é";
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("s", nasty);
        String json = Json.write(value);
        assertTrue(json.lines().count() == 1, "one line: " + json);
        assertEquals(nasty, parse(json).getString("s"));
    }

    @Test
    void writesNumbersBooleansNullsListsAndNestedObjects() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("ok", true);
        inner.put("none", null);
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("int", 42);
        value.put("long", 1L << 40);
        value.put("fraction", 0.5);
        value.put("whole", 2.0);
        value.put("list", Arrays.asList(1, "two", null, List.of()));
        value.put("inner", inner);
        String json = Json.write(value);
        assertEquals("{\"int\":42,\"long\":1099511627776,\"fraction\":0.5,\"whole\":2,\"list\":[1,\"two\",null,[]],"
                + "\"inner\":{\"ok\":true,\"none\":null}}", json);
        Config parsed = parse(json);
        assertEquals(1L << 40, parsed.getLong("long"));
        assertEquals(0.5, parsed.getDouble("fraction"));
        assertTrue(parsed.getBoolean("inner.ok"));
        assertTrue(parsed.getIsNull("inner.none"));
    }

    @Test
    void escapesLoneSurrogatesSoTheOutputStaysValidUtf8() {
        assertEquals("\"a\\ud800b\"", Json.write("a\uD800b"));
    }

    @Test
    void refusesValuesWithoutAJsonForm() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, "x")));
    }
}
