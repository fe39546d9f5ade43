package dev.kavach.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.kavach.api.ConfigurationException;
import dev.kavach.core.KavachOptions;
import picocli.CommandLine.Option;

/**
 * The options that say how to load Kavach, accepted before the command name ({@code kavach --config f
 * backends}) and after it ({@code kavach backends --config f}); the later ones win.
 */
final class LoadOptions {
    @Option(names = "--config", paramLabel = "FILE",
            description = "Configuration file (HOCON). Default: $KAVACH_CONFIG, else ./kavach.conf if present.")
    Path configFile;

    @Option(names = "-D", paramLabel = "key=value", mapFallbackValue = Option.NULL_VALUE,
            description = "Overrides one setting, highest precedence, e.g. -D kavach.backend=process.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = {"-v", "--verbose"}, description = "Logs what Kavach does (debug level) to stderr, and the stack trace of an unexpected failure.")
    boolean verbose;

    @Option(names = "--log-level", paramLabel = "LEVEL", converter = LogLevel.Converter.class,
            description = "Logs to stderr from LEVEL up: error, warn (the default), info, debug or trace. Never to stdout.")
    LogLevel.Level logLevel;

    /** These options over {@code outer}'s: the later occurrence on the command line wins. */
    LoadOptions over(LoadOptions outer) {
        LoadOptions merged = new LoadOptions();
        merged.configFile = configFile != null ? configFile : outer == null ? null : outer.configFile;
        if (outer != null) {
            merged.overrides.putAll(outer.overrides);
        }
        merged.overrides.putAll(overrides);
        merged.verbose = verbose || outer != null && outer.verbose;
        merged.logLevel = logLevel != null ? logLevel : outer == null ? null : outer.logLevel;
        return merged;
    }

    /** The core's options for this invocation, plus the given overrides (which win over {@code -D}). */
    KavachOptions toKavachOptions(Invocation invocation, Map<String, String> extraOverrides) {
        Map<String, String> all = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : overrides.entrySet()) {
            String key = entry.getKey();
            if (!key.startsWith("kavach.") || entry.getValue() == null) {
                throw new ConfigurationException(
                        "invalid -D " + key + (entry.getValue() == null ? "" : "=" + entry.getValue()) + ": expected -D kavach.<key>=<value>",
                        "write the full setting, e.g. -D kavach.backend=process or -D kavach.policy.memory=512M");
            }
            all.put(key, entry.getValue());
        }
        all.putAll(extraOverrides);
        // The command reads its surroundings ($KAVACH_CONFIG or ./kavach.conf, -Dkavach.*, ./plugins): an embedder chooses to.
        KavachOptions options = KavachOptions.fromEnvironment(invocation.environment(), invocation.workingDirectory())
                .withOverrides(all).withProgress(invocation.progress());
        return configFile == null ? options : options.withConfigFile(invocation.workingDirectory().resolve(configFile));
    }
}
