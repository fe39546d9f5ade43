package dev.kavach.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import picocli.CommandLine.IVersionProvider;

/** {@code kavach --version}: the build's version, known without reading any configuration. */
final class CliVersion implements IVersionProvider {
    static String version() {
        return properties().getProperty("version", "unknown");
    }

    /** The git commit the build came from ({@code git describe}, "-modified" for uncommitted changes), or "unknown". */
    static String commit() {
        String commit = properties().getProperty("commit", "").strip();
        // Unfiltered (git was missing) or empty (not a checkout): the build could not tell.
        return commit.isEmpty() || commit.startsWith("${") ? "unknown" : commit;
    }

    private static Properties properties() {
        return Loaded.PROPERTIES;
    }

    /** Read once, when first asked: the start-up log line and {@code --version} both need it. */
    private static final class Loaded {
        static final Properties PROPERTIES = read();
    }

    private static Properties read() {
        Properties properties = new Properties();
        try (InputStream in = CliVersion.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                properties.load(in);
            }
            return properties;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CLI's version.properties", e);
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "kavach " + version() + " (commit " + commit() + ")",
            "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ", " + System.getProperty("java.vendor") + ")"
        };
    }
}
