package dev.kavach.core;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sizes and durations follow HOCON exactly. Kavach has one hand-written parser of each, in kavach-api
 * (plugins see their settings as text, and the API depends on nothing); the host's own keys are parsed by
 * Typesafe Config itself. Here the hand-written ones are compared with Typesafe Config's on every unit
 * spelling and on the edge cases, values and refusals alike.
 */
class HoconUnitsTest {
    @TempDir
    Path dir;

    private static final List<String> SIZES = sizes();
    private static final List<String> DURATIONS = durations();

    private static List<String> sizes() {
        List<String> inputs = new ArrayList<>(List.of("0", "1", "65536", " 42 ", "512MB", "512M", "512MiB", "512Mi", "512m", "512mb", "512 MB",
                "1kB", "1KB", "1K", "1k", "1Ki", "1KiB", "1kiB", "1.5G", "1.5GB", "0.5k", "2T", "2TB", "1P", "1E", "8E", "7E", "1Z", "1Y",
                "9223372036854775807", "9223372036854775808", "-5", "-5K", "+5", "1e3", "1e3K", "1E3", "0x10", "lots", "", " ", "K", "5 bytes",
                "5 byte", "5b", "5B", "5 kilobytes", "5 kibibytes", "5 megabyte", "5 mebibytes", "5 gigabytes", "5 gibibytes", "5 terabytes",
                "5 tebibytes", "5 petabytes", "5 exabytes", "5 zettabytes", "5 yottabytes", "5 yobibytes", "5 zebibytes", "5 exbibytes",
                "5 pebibytes", "5 kilo", "5 KB", "5 Kb", "5kb", "5 iB", "1.0", "1.", ".5", ".5K", "5\u00a0K", "1_000", "1 k B", "1e30", "-1e30", "007", "+1.5"));
        return inputs;
    }

    private static List<String> durations() {
        return List.of("0", "30", "30s", "30 s", "2 minutes", "2 minute", "2m", "2M", "1h", "1 hour", "1 hours", "3d", "3 days", "3 day",
                "250ms", "250 millis", "250 milli", "250 milliseconds", "5us", "5 micros", "5 micro", "5 microseconds", "5ns", "5 nanos",
                "5 nano", "5 nanoseconds", "1.5s", "0.001s", "-1s", "+2s", "1e3ms", "1e3", "999999999999h", "9223372036854775807ns",
                "9223372036854775808ns", "30 S", "30 sec", "30 secs", "3 fortnights", "soon", "", "s", "1 second", "1 seconds", "1ss",
                "2 mins", "1.5 hours", " 7 ms ", "1 w", "1 week");
    }

    private static String typesafeBytes(String input) {
        Config config = ConfigFactory.empty().withValue("v", ConfigValueFactory.fromAnyRef(input));
        try {
            return String.valueOf(config.getBytes("v"));
        } catch (ConfigException e) {
            return "refused";
        }
    }

    private static String ourBytes(String input) {
        try {
            return String.valueOf(BackendSettings.parseBytes(input));
        } catch (IllegalArgumentException e) {
            return "refused";
        }
    }

    private static String typesafeDuration(String input) {
        Config config = ConfigFactory.empty().withValue("v", ConfigValueFactory.fromAnyRef(input));
        try {
            return String.valueOf(config.getDuration("v"));
        } catch (ConfigException e) {
            return "refused";
        }
    }

    private static String ourDuration(String input) {
        try {
            return String.valueOf(BackendSettings.parseDuration(input));
        } catch (IllegalArgumentException e) {
            return "refused";
        }
    }

    /** Text only Java's number parser reads, which Typesafe Config then takes for a number of bytes (NaN: 0). Kavach refuses it. */
    private static final List<String> JAVA_ONLY_NUMBERS = List.of("NaN", "Infinity", "5d", "5f", "5D", "1.5e3f", "0x1p3");

    @Test
    void sizesAreParsedExactlyAsTypesafeConfigParsesThem() {
        for (String input : SIZES) {
            assertEquals(typesafeBytes(input), ourBytes(input), "size '" + input + "'");
        }
        for (String input : JAVA_ONLY_NUMBERS) {
            assertTrue(!typesafeBytes(input).equals("refused"), "Typesafe Config reads '" + input + "' as a size");
            assertEquals("refused", ourBytes(input), "the one deviation, documented in the README: '" + input + "'");
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> Kavach.load(new KavachOptions(null, Map.of("kavach.policy.memory", input), Map.of(), dir)).close());
            assertTrue(e.getMessage().startsWith("invalid value '" + input + "' for kavach.policy.memory"), e.getMessage());
        }
        // the cases the issue names, spelled out
        assertEquals(512_000_000L, BackendSettings.parseBytes("512MB"));
        assertEquals(512L << 20, BackendSettings.parseBytes("512M"));
        assertEquals(512L << 20, BackendSettings.parseBytes("512MiB"));
        assertThrows(IllegalArgumentException.class, () -> BackendSettings.parseBytes("512mb"), "HOCON's units are case-sensitive");
    }

    @Test
    void durationsAreParsedExactlyAsTypesafeConfigParsesThem() {
        for (String input : DURATIONS) {
            assertEquals(typesafeDuration(input), ourDuration(input), "duration '" + input + "'");
        }
        assertEquals(Duration.ofMinutes(2), BackendSettings.parseDuration("2 minutes"));
        assertEquals(Duration.ofMillis(30), BackendSettings.parseDuration("30"), "a bare number is milliseconds");
    }

    @Test
    void anAbsurdExponentIsRefusedAtOnce() {
        // Typesafe Config would expand 10^999999999 before finding it out of range; the answer is the same
        assertThrows(IllegalArgumentException.class, () -> BackendSettings.parseBytes("1e999999999K"));
    }

    @Test
    void theHostsOwnKeysUseHoconUnits() {
        Map<String, String> overrides = Map.of("kavach.policy.memory", "512MB", "kavach.policy.output-limit", "1kB",
                "kavach.policy.max-file-size", "1.5K", "kavach.timeout", "2 minutes");
        try (Kavach kavach = Kavach.load(new KavachOptions(null, overrides, Map.of(), dir))) {
            assertEquals(489, kavach.policy().memoryMiB(), "512MB is 488.3 MiB, rounded up");
            assertEquals(1000, kavach.policy().outputLimitBytes());
            assertEquals(1536, kavach.policy().maxFileSizeBytes());
            assertEquals(Duration.ofMinutes(2), kavach.policy().timeout());
        }
    }

    @Test
    void memoryLimitsRoundUpToWholeMebibytes() {
        assertEquals(0, MemoryLimit.mebibytes(0));
        assertEquals(1, MemoryLimit.mebibytes(1 << 20));
        assertEquals(2, MemoryLimit.mebibytes((1 << 20) + 1));
        assertEquals(489, MemoryLimit.mebibytes(512_000_000L));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemoryLimit.mebibytes(4096));
        assertTrue(e.getMessage().contains("at least 1M"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MemoryLimit.mebibytes(-1));
    }
}
