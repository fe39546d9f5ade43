package dev.kavach.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import picocli.CommandLine.IVersionProvider;

/** {@code kavach --version}: the build's version, known without reading any configuration. */
final class CliVersion implements IVersionProvider {
    static String version() {
        try (InputStream in = CliVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CLI's version.properties", e);
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "kavach " + version(),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ", " + System.getProperty("java.vendor") + ")"
        };
    }
}
