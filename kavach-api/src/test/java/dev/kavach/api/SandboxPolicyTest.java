package dev.kavach.api;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SandboxPolicyTest {
    @Test
    void presetsMeanWhatTheReadmeSays() {
        SandboxPolicy minimal = SandboxPolicy.minimal();
        assertTrue(minimal.network());
        assertEquals(SeccompProfile.NONE, minimal.seccomp());
        assertFalse(minimal.readOnlyRoot());

        SandboxPolicy basic = SandboxPolicy.basic();
        assertFalse(basic.network());
        assertEquals(SeccompProfile.BASIC, basic.seccomp());
        assertTrue(basic.readOnlyRoot());
        assertEquals(1024, basic.memoryMiB());
        assertEquals(256, basic.maxPids());
        assertEquals(1L << 30, basic.maxFileSizeBytes());

        SandboxPolicy strict = SandboxPolicy.strict();
        assertFalse(strict.network());
        assertTrue(strict.readOnlyRoot());
        assertEquals(SeccompProfile.STRICT, strict.seccomp());
        assertEquals(512, strict.memoryMiB());
        assertEquals(1.0, strict.cpus());
        assertEquals(64, strict.maxPids());
        assertEquals(1024, strict.maxOpenFiles());
        assertEquals(64L << 20, strict.maxFileSizeBytes());
        assertEquals(1L << 20, strict.outputLimitBytes());
        for (String name : SandboxPolicy.PRESETS) {
            assertEquals(Duration.ofSeconds(30), SandboxPolicy.preset(name).timeout());
        }
        assertEquals(strict, SandboxPolicy.preset("STRICT"));
    }

    @Test
    void anUnknownPresetNamesTheAcceptedOnes() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> SandboxPolicy.preset("paranoid"));
        assertEquals("unknown policy preset 'paranoid'", e.getMessage());
        assertEquals("use one of minimal, basic, strict", e.fix());
    }

    @Test
    void withMethodsChangeOneFieldEach() {
        SandboxPolicy changed = SandboxPolicy.basic().withCpus(0.5).withMemoryMiB(256).withMaxPids(10).withNetwork(true)
                .withReadOnlyRoot(true).withSeccomp(SeccompProfile.STRICT).withOutputLimitBytes(100).withTimeout(Duration.ofSeconds(5))
                .withMaxOpenFiles(64).withMaxFileSizeBytes(4096);
        assertEquals(new SandboxPolicy(0.5, 256, 10, true, true, SeccompProfile.STRICT, 100, Duration.ofSeconds(5), 64, 4096), changed);
    }

    @Test
    void impossibleLimitsAreRefusedWithTheFieldNamed() {
        SandboxPolicy basic = SandboxPolicy.basic();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> basic.withCpus(-1)).getMessage().startsWith("cpus"));
        assertThrows(IllegalArgumentException.class, () -> basic.withCpus(Double.NaN));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> basic.withMemoryMiB(-5)).getMessage().startsWith("memoryMiB"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> basic.withMaxPids(-1)).getMessage().startsWith("maxPids"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> basic.withTimeout(Duration.ZERO)).getMessage().startsWith("timeout"));
    }
}
