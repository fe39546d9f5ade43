package dev.kavach.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Kavach's real version, from the {@code version.properties} the build filters; plugins' Plugin-Requires is checked against it. */
final class KavachVersion {
    private KavachVersion() {
    }

    static String read() {
        Properties properties = new Properties();
        try (InputStream in = Kavach.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("dev/kavach/core/version.properties is missing from kavach-core; rebuild it with Maven");
            }
            properties.load(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read dev/kavach/core/version.properties: " + e.getMessage(), e);
        }
        String version = properties.getProperty("version", "").trim();
        if (version.isEmpty() || version.contains("${")) {
            throw new IllegalStateException("kavach-core was built without resource filtering (version is '" + version
                    + "'); rebuild it with Maven");
        }
        return version;
    }
}
