package dev.kavach.backend.fake;

import dev.kavach.api.BackendSettings;

/**
 * A pretend backend's classes for {@code ArchitectureTest}: each class makes one kind of dependency, so
 * that the test can show the backend rule allows exactly what it should and catches each violation.
 */
public final class FakeBackendClasses {
    private FakeBackendClasses() {
    }

    /** Allowed: the API, the JDK and SLF4J (which the host shares with plugins). */
    public static final class UsesApi {
        public static String key(BackendSettings settings) {
            org.slf4j.LoggerFactory.getLogger(UsesApi.class).debug("{}", settings);
            return java.util.Objects.toString(settings.prefix());
        }
    }

    /** Allowed only when picocli's JAR is bundled in this backend's own plugin folder. */
    public static final class UsesALibrary {
        public static Object parser() {
            return picocli.CommandLine.Help.Ansi.OFF.string("@|bold kavach|@");
        }
    }

    /** Never allowed: Kavach's core. */
    public static final class UsesCore {
        public static Object core() {
            return dev.kavach.core.KavachOptions.defaults();
        }
    }

    /** Never allowed: another backend. */
    public static final class UsesAnotherBackend {
        public static Object other() {
            return new dev.kavach.backend.other.OtherBackendClass();
        }
    }

    /** Never allowed: a library of the host (Typesafe Config) that the plugin does not bundle itself. */
    public static final class UsesAHostLibrary {
        public static Object config() {
            return com.typesafe.config.ConfigFactory.empty();
        }
    }
}
