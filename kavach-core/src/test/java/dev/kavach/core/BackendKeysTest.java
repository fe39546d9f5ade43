package dev.kavach.core;

import com.typesafe.config.ConfigFactory;
import dev.kavach.core.config.BackendKeys;
import org.junit.jupiter.api.Test;

import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a backend declares: every key of its reference.conf, a null one included, and open maps. */
class BackendKeysTest {
    private static final BackendKeys KEYS = BackendKeys.declaredIn(ConfigFactory.parseString("""
            kavach.backends.demo {
              binary = demo
              cert-dir = null
              limits { memory = 1G, "odd.key" = 1 }
              env {}
            }
            kavach.backends.other.secret = 1
            """), "demo");

    @Test
    void declaredKeysIncludeNullOnesNestedOnesAndOpenMaps() {
        assertEquals(Set.of("binary", "cert-dir", "limits.memory", "limits.\"odd.key\"", "env.*"), KEYS.all());
        assertTrue(KEYS.accepts("cert-dir"), "declared without a default");
        assertTrue(KEYS.accepts("limits.memory"));
        assertTrue(KEYS.accepts("env.LANG"), "an open map takes any entry");
        assertFalse(KEYS.accepts("limits"), "an object is not a value");
        assertFalse(KEYS.accepts("secret"), "another backend's key");
        assertFalse(KEYS.accepts("binray"));
        assertEquals(Optional.of("binary"), KEYS.closest("binray"));
    }

    @Test
    void aBackendWithoutSettingsDeclaresNothing() {
        BackendKeys none = BackendKeys.declaredIn(ConfigFactory.empty(), "bare");
        assertTrue(none.isEmpty());
        assertFalse(none.accepts("anything"));
    }
}
