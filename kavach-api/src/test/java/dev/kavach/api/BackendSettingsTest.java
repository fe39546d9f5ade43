package dev.kavach.api;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackendSettingsTest {
    private static final String PREFIX = "kavach.backends.demo";

    @Test
    void defaultsApplyWhenKeysAreAbsent() {
        BackendSettings settings = BackendSettings.empty(PREFIX);
        assertEquals("x", settings.string("name", "x"));
        assertEquals(Optional.empty(), settings.string("name"));
        assertEquals(4, settings.integer("cpus", 4));
        assertEquals(0x30000L, settings.longValue("policy", 0x30000L));
        assertTrue(settings.bool("enabled", true));
        assertEquals(Duration.ofSeconds(30), settings.duration("boot-timeout", Duration.ofSeconds(30)));
        assertEquals(512L << 20, settings.bytes("memory", 512L << 20));
        assertEquals(List.of(), settings.list("paths"));
        assertEquals(Optional.empty(), settings.path("kernel"));
        assertEquals(Set.of(), settings.keys());
    }

    @Test
    void explicitValuesAreParsedByType() {
        BackendSettings settings = new BackendSettings(PREFIX,
                Map.of("name", "n", "cpus", "8", "policy", "0x30000", "enabled", "off", "boot-timeout", "1.5m",
                        "memory", "2G", "kernel", "/boot/vmlinuz", "single", "one"),
                Map.of("paths", List.of("/a", "/b,c")), Map.of("cpus", "kavach.conf: 3"));
        assertEquals("n", settings.require("name"));
        assertEquals(8, settings.integer("cpus", 1));
        assertEquals(0x30000L, settings.longValue("policy", 0));
        assertFalse(settings.bool("enabled", true));
        assertEquals(Duration.ofSeconds(90), settings.duration("boot-timeout", Duration.ZERO));
        assertEquals(2L << 30, settings.bytes("memory", 0));
        assertEquals(Optional.of(Path.of("/boot/vmlinuz")), settings.path("kernel"));
        assertEquals(List.of("/a", "/b,c"), settings.list("paths"), "list elements are never re-split");
        assertEquals(List.of("one"), settings.list("single"), "a scalar reads as a one-element list");
        assertEquals(Set.of("name", "cpus", "policy", "enabled", "boot-timeout", "memory", "kernel", "single", "paths"), settings.keys());
        assertEquals("kavach.backends.demo.cpus", settings.fullKey("cpus"));
        assertEquals("kavach.conf: 3", settings.origin("cpus"));
    }

    @Test
    void badValuesNameTheFullKeyItsOriginAndWhatIsAccepted() {
        BackendSettings settings = new BackendSettings(PREFIX,
                Map.of("cpus", "many", "enabled", "maybe", "boot-timeout", "soon", "memory", "lots"), Map.of(),
                Map.of("cpus", "kavach.conf: 7"));
        ConfigurationException cpus = assertThrows(ConfigurationException.class, () -> settings.integer("cpus", 1));
        assertEquals("invalid value 'many' for kavach.backends.demo.cpus (set at kavach.conf: 7): expected an integer, e.g. 4", cpus.getMessage());
        assertTrue(cpus.fix().contains("kavach.backends.demo.cpus"), cpus.fix());
        assertTrue(assertThrows(ConfigurationException.class, () -> settings.bool("enabled", true)).getMessage().contains("true or false"));
        assertTrue(assertThrows(ConfigurationException.class, () -> settings.duration("boot-timeout", Duration.ZERO)).getMessage().contains("30s"));
        assertTrue(assertThrows(ConfigurationException.class, () -> settings.bytes("memory", 0)).getMessage().contains("512M"));
        ConfigurationException missing = assertThrows(ConfigurationException.class, () -> settings.require("kernel"));
        assertEquals("missing setting kavach.backends.demo.kernel", missing.getMessage());
    }

    @Test
    void durationsAndSizesUseHoconUnits() {
        assertEquals(Duration.ofMillis(250), BackendSettings.parseDuration("250ms"));
        assertEquals(Duration.ofMillis(250), BackendSettings.parseDuration("250"), "a bare number is milliseconds");
        assertEquals(Duration.ofHours(2), BackendSettings.parseDuration("2 hours"));
        assertEquals(Duration.ofNanos(5), BackendSettings.parseDuration("5ns"));
        assertEquals(65536, BackendSettings.parseBytes("64K"));
        assertEquals(65536, BackendSettings.parseBytes("64KiB"));
        assertEquals(3L << 40, BackendSettings.parseBytes("3T"));
        assertEquals(100, BackendSettings.parseBytes("100 bytes"));
        assertEquals(Duration.ofSeconds(-1), BackendSettings.parseDuration("-1s"), "as in HOCON; the duration() getter refuses it");
        assertEquals(512_000_000L, BackendSettings.parseBytes("512MB"), "HOCON: MB is 10^6, M and MiB are 2^20");
        assertEquals(512L << 20, BackendSettings.parseBytes("512MiB"));
        assertThrows(IllegalArgumentException.class, () -> BackendSettings.parseBytes("512mb"), "HOCON's units are case-sensitive");
        assertThrows(ConfigurationException.class, () -> BackendSettings.of(PREFIX, Map.of("grace", "-1s")).duration("grace", Duration.ZERO));
        assertThrows(ConfigurationException.class, () -> BackendSettings.of(PREFIX, Map.of("size", "-1K")).bytes("size", 0));
        assertThrows(IllegalArgumentException.class, () -> BackendSettings.parseBytes("NaN"), "Typesafe Config would read 0 bytes");
        assertThrows(IllegalArgumentException.class, () -> BackendSettings.parseDuration("3 fortnights"));
        assertEquals(3L << 29, BackendSettings.parseBytes("1.5G"), "fractions, as in HOCON");
        assertThrows(IllegalArgumentException.class, () -> BackendSettings.parseBytes("9999999999T"), "overflow is refused, not wrapped");
    }
}
