package dev.kavach.backend.process;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessBackendSettingsTest {
    private static final String PREFIX = "kavach.backends.process";

    @Test
    void defaults() {
        ProcessBackendSettings settings = ProcessBackendSettings.defaults();
        assertEquals(ProcessBackendSettings.Launcher.AUTO, settings.launcher());
        assertEquals("bwrap", settings.bwrap());
        assertEquals("/bin/sh", settings.shell());
        assertEquals(List.of(), settings.inheritEnv());
        assertEquals("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", settings.defaultPath());
        assertEquals(Path.of("/sys/fs/cgroup"), settings.cgroupRoot());
        assertEquals("kavach", settings.cgroupParent());
        assertEquals(Duration.ofSeconds(2), settings.drainGrace());
        assertEquals("auto", settings.runAs());
        assertEquals(new ProcessBackendSettings.IdRange(2_000_000_000, 65_536), settings.idRange());
        assertEquals(512L << 20, settings.scratchSize());
    }

    @Test
    void explicitMapping() {
        ProcessBackendSettings settings = ProcessBackendSettings.from(new BackendSettings(PREFIX,
                Map.of("launcher", "bwrap", "bwrap", "/opt/bwrap", "shell", "/bin/dash",
                        "default-path", "/bin", "cgroup-root", "/tmp/cg", "cgroup-parent", "ci-jobs", "drain-grace", "500ms",
                        "run-as", "65534:65534", "id-range", "100000-100999", "scratch-size", "64M"),
                Map.of("inherit-env", List.of("LANG", "TZ")), Map.of()));
        assertEquals(new ProcessBackendSettings(ProcessBackendSettings.Launcher.BWRAP, "/opt/bwrap", "/bin/dash",
                List.of("LANG", "TZ"), "/bin", Path.of("/tmp/cg"), "ci-jobs", Duration.ofMillis(500), "65534:65534",
                new ProcessBackendSettings.IdRange(100_000, 1000), 64L << 20), settings);
    }

    @Test
    void referenceConfDocumentsEveryKeyAndOnlyItsOwnPrefix() throws IOException {
        String reference;
        try (InputStream in = ProcessBackendSettings.class.getResourceAsStream("/reference.conf")) {
            reference = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (String key : ProcessBackendSettings.KEYS) {
            assertTrue(reference.contains("\n  " + key + " = "), "reference.conf lacks " + key);
        }
        assertTrue(reference.lines().filter(l -> !l.isBlank() && !l.startsWith("#") && !l.startsWith(" ") && !l.equals("}"))
                .allMatch(l -> l.startsWith(PREFIX + " {")), "only " + PREFIX + " may be defined");
    }

    @Test
    void rejectsAMisspeltKeyNamingIt() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> ProcessBackendSettings.from(
                new BackendSettings(PREFIX, Map.of("lancher", "bwrap"), Map.of(), Map.of("lancher", "kavach.conf: 7"))));
        assertTrue(e.getMessage().contains("kavach.backends.process.lancher"), e.getMessage());
        assertTrue(e.getMessage().contains("kavach.conf: 7"), e.getMessage());
        assertTrue(e.fix().contains("launcher"), e.fix());
    }

    @Test
    void rejectsBadValuesNamingKeyAndAcceptedValues() {
        ConfigurationException launcher = assertThrows(ConfigurationException.class,
                () -> ProcessBackendSettings.from(BackendSettings.of(PREFIX, Map.of("launcher", "docker"))));
        assertTrue(launcher.getMessage().contains("kavach.backends.process.launcher") && launcher.getMessage().contains("auto or bwrap"),
                launcher.getMessage());
        ConfigurationException unshare = assertThrows(ConfigurationException.class,
                () -> ProcessBackendSettings.from(BackendSettings.of(PREFIX, Map.of("launcher", "unshare"))));
        assertTrue(unshare.getMessage().contains("install bubblewrap"), unshare.getMessage());
        assertThrows(ConfigurationException.class, () -> ProcessBackendSettings.from(BackendSettings.of(PREFIX, Map.of("shell", "sh"))));
        assertThrows(ConfigurationException.class, () -> ProcessBackendSettings.from(BackendSettings.of(PREFIX, Map.of("cgroup-parent", "../x"))));
        assertThrows(ConfigurationException.class, () -> ProcessBackendSettings.from(BackendSettings.of(PREFIX, Map.of("cgroup-root", "relative"))));
        assertThrows(ConfigurationException.class, () -> ProcessBackendSettings.from(new BackendSettings(PREFIX, Map.of(),
                Map.of("inherit-env", List.of("OK", "NOT OK")), Map.of())));
        for (String runAs : List.of("", "65534:", ":65534", "nobody; rm -rf /", "-1:-1", "Root")) {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> ProcessBackendSettings.from(BackendSettings.of(PREFIX, Map.of("run-as", runAs))), runAs);
            assertTrue(e.getMessage().contains("kavach.backends.process.run-as") && e.getMessage().contains("65534:65534"), e.getMessage());
        }
    }

    /**
     * Issue 9: every bad value is a one-line ConfigurationException naming the key, the value and what is
     * accepted (the user's error, exit 125), never an IllegalArgumentException that reads as Kavach's bug.
     */
    @Test
    void everyBadValueIsAConfigurationExceptionNamingKeyValueAndWhatIsAccepted() {
        Map<String, List<String>> bad = new java.util.LinkedHashMap<>();
        bad.put("run-as", List.of("nobody!", "1:2:3", "99999999999:1"));
        bad.put("cgroup-parent", List.of("", "a/b", ".hidden", "x".repeat(65)));
        bad.put("cgroup-root", List.of("relative/dir", "/with\0nul"));
        bad.put("drain-grace", List.of("soon", "-1s", "1h"));
        bad.put("default-path", List.of("", "bin:/usr/bin", "/usr/bin::/bin", "/usr/bin:"));
        bad.put("shell", List.of("sh", "/bin/\0sh"));
        bad.put("bwrap", List.of(" ", "/x\0y"));
        bad.put("id-range", List.of("1-", "10-5", "0-100", "60000-70000", "1-2147483647", "many"));
        bad.put("scratch-size", List.of("big", "1K", "-5M"));
        for (Map.Entry<String, List<String>> key : bad.entrySet()) {
            for (String value : key.getValue()) {
                String real = value.replace("\\0", "\0");
                ConfigurationException e = assertThrows(ConfigurationException.class,
                        () -> ProcessBackendSettings.from(BackendSettings.of(PREFIX, Map.of(key.getKey(), real))), key.getKey() + "=" + value);
                assertTrue(e.getMessage().contains(PREFIX + "." + key.getKey()), e.getMessage());
                assertTrue(e.getMessage().contains("expected"), "says what is accepted: " + e.getMessage());
                assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
            }
        }
    }
}
