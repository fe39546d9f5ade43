package dev.kavach.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.api.SeccompProfile;
import dev.kavach.core.KavachSettings;
import dev.kavach.core.MemoryLimit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * Reads and validates the {@code kavach} tree into {@link KavachSettings} and per-backend {@link BackendSettings}.
 * Every error names the key, where it was set (file and line) and what is accepted.
 */
public final class SettingsReader {
    /** Every key under {@code kavach} outside {@code kavach.backends.<id>}, with what it accepts. */
    public static final Map<String, String> SCHEMA = schema();

    private static final String SIZE = BackendSettings.SIZES;
    private static final String COUNT = "a whole number >= 0 (0 = no limit)";
    private static final String BOOLEAN = "true or false";

    private final Config config;

    public SettingsReader(Config config) {
        this.config = requireNonNull(config, "config is null");
        if (config.hasPathOrNull("kavach") && config.getValue("kavach").valueType() != ConfigValueType.OBJECT) {
            throw new ConfigurationException("kavach " + at("kavach") + " must be an object holding the settings",
                    "write kavach { backend = auto } or kavach.backend = auto");
        }
    }

    private static Map<String, String> schema() {
        Map<String, String> keys = new HashMap<>();
        keys.put("kavach.backend", "auto or a backend id");
        keys.put("kavach.fallback", "a list of backend ids, e.g. [process, noop]");
        keys.put("kavach.plugins.dir", "a directory path, or \"\" for none");
        keys.put("kavach.state-dir", "a directory path");
        keys.put("kavach.timeout", BackendSettings.DURATIONS);
        keys.put("kavach.policy.preset", String.join(", ", SandboxPolicy.PRESETS));
        keys.put("kavach.policy.cpus", "a number of cores >= 0, fractions allowed (0 = no limit)");
        keys.put("kavach.policy.memory", SIZE + ", 0 = no limit");
        keys.put("kavach.policy.max-pids", COUNT);
        keys.put("kavach.policy.network", BOOLEAN);
        keys.put("kavach.policy.read-only-root", BOOLEAN);
        keys.put("kavach.policy.seccomp", "none, basic or strict");
        keys.put("kavach.policy.output-limit", SIZE + ", 0 = no limit");
        keys.put("kavach.policy.max-open-files", COUNT);
        keys.put("kavach.policy.max-file-size", SIZE + ", 0 = no limit");
        keys.put("kavach.policy.transfer-limit", SIZE + ", more than 0 (file transfers are always bounded)");
        return Map.copyOf(keys);
    }

    /** The plugins directory, read before plugins are loaded; relative to {@code workingDirectory}; empty for {@code ""} (none). */
    public Optional<Path> pluginsDir(Path workingDirectory) {
        return text("kavach.plugins.dir").isBlank() ? Optional.empty() : Optional.of(path("kavach.plugins.dir", workingDirectory));
    }

    /**
     * Validates the whole tree and reads it: every key outside {@code kavach.backends} against the schema,
     * every key of a discovered backend against the keys that backend declares. Backend ids that name no
     * discovered backend are left to {@link #unknownBackends}, so that the commands that explain why a plugin
     * did not load still work.
     *
     * @param declared the keys each discovered backend declares, by backend id
     */
    public KavachSettings read(Map<String, BackendKeys> declared, Path workingDirectory) {
        checkKeys(declared);
        String backend = text("kavach.backend").trim();
        List<String> fallback = list("kavach.fallback");
        return new KavachSettings(backend, fallback, pluginsDir(workingDirectory), policy(), path("kavach.state-dir", workingDirectory));
    }

    /**
     * The first backend id in {@code kavach.backend}, {@code kavach.fallback} or {@code kavach.backends.<id>}
     * that names no discovered backend, as the error to report when a sandbox is to be opened.
     *
     * @param knownBackendIds every discovered backend id
     * @param unknownIdHint   appended to the message, e.g. which plugins failed to load; may be empty
     */
    public Optional<ConfigurationException> unknownBackends(Collection<String> knownBackendIds, String unknownIdHint) {
        Set<String> known = new TreeSet<>(knownBackendIds);
        String backend = text("kavach.backend").trim();
        if (!backend.equals(KavachSettings.AUTO) && !known.contains(backend)) {
            return Optional.of(unknownBackend(backend, "kavach.backend", known, unknownIdHint, true));
        }
        for (String id : list("kavach.fallback")) {
            if (!known.contains(id)) {
                return Optional.of(unknownBackend(id, "kavach.fallback", known, unknownIdHint, false));
            }
        }
        for (String relative : leafPaths()) {
            String path = "kavach." + relative;
            List<String> elements = ConfigUtil.splitPath(path);
            if (elements.size() >= 4 && elements.get(1).equals("backends") && !known.contains(elements.get(2))) {
                return Optional.of(unknownBackend(elements.get(2), path, known, unknownIdHint, false));
            }
        }
        return Optional.empty();
    }

    /** The settings under {@code kavach.backends.<id>}, flattened: scalars as text, lists as lists of text, with origins. */
    public BackendSettings backendSettings(String id) {
        String prefix = "kavach.backends." + id;
        Map<String, String> values = new HashMap<>();
        Map<String, List<String>> lists = new HashMap<>();
        Map<String, String> origins = new HashMap<>();
        if (config.hasPath(prefix)) {
            if (config.getValue(prefix).valueType() != ConfigValueType.OBJECT) {
                throw new ConfigurationException(prefix + " " + at(prefix) + " must be an object of settings for backend '" + id + "'",
                        "write " + prefix + " { key = value }");
            }
            for (Map.Entry<String, ConfigValue> entry : config.getConfig(prefix).entrySet()) {
                String key = entry.getKey();
                ConfigValue value = entry.getValue();
                if (value.valueType() == ConfigValueType.LIST) {
                    List<String> items = new ArrayList<>();
                    for (Object item : (List<?>) value.unwrapped()) {
                        items.add(String.valueOf(item));
                    }
                    lists.put(key, items);
                } else {
                    values.put(key, String.valueOf(value.unwrapped()));
                }
                origins.put(key, value.origin().description());
            }
        }
        return new BackendSettings(prefix, values, lists, origins);
    }

    /** Where a key was set, e.g. {@code "(set at /etc/kavach.conf: 12)"}, or empty when it is not set. */
    public String at(String path) {
        if (!config.hasPathOrNull(path)) {
            return "";
        }
        return "(set at " + config.getValue(path).origin().description() + ")";
    }

    private void checkKeys(Map<String, BackendKeys> declared) {
        if (!config.hasPath("kavach")) {
            return;
        }
        Set<String> accepted = new TreeSet<>(SCHEMA.keySet());
        accepted.add("kavach.backends.<id>.*");
        for (String relative : leafPaths()) {
            String path = "kavach." + relative;
            List<String> elements = ConfigUtil.splitPath(path);
            if (elements.size() >= 2 && elements.get(1).equals("backends")) {
                if (elements.size() < 4) {
                    throw new ConfigurationException(path + " " + at(path) + " must be an object of backend settings",
                            "write kavach.backends.<id> { key = value }, e.g. kavach.backends.process { inherit-env = false }");
                }
                BackendKeys keys = declared.get(elements.get(2));
                if (keys != null) {
                    checkBackendKey(path, ConfigUtil.joinPath(elements.subList(3, elements.size())), keys);
                }
                continue;
            }
            if (!SCHEMA.containsKey(path)) {
                String suggestion = ClosestMatch.in(SCHEMA.keySet(), path).map(s -> "; did you mean " + s + "?").orElse("");
                throw new ConfigurationException("unknown setting " + path + " " + at(path) + suggestion
                        + "\n  accepted keys: " + String.join(", ", accepted),
                        "rename or remove " + path + (suggestion.isEmpty() ? "" : " (did you mean " + ClosestMatch.in(SCHEMA.keySet(), path).get() + "?)"));
            }
        }
    }

    /** A backend's key must be one its own reference.conf declares: the host, not each backend, rejects the rest. */
    private void checkBackendKey(String path, String key, BackendKeys keys) {
        if (keys.accepts(key)) {
            return;
        }
        String prefix = "kavach.backends." + keys.id() + ".";
        Optional<String> closest = keys.closest(key);
        String accepted = keys.isEmpty()
                ? "backend '" + keys.id() + "' declares no settings (its reference.conf defines nothing under kavach.backends." + keys.id() + ")"
                : "backend '" + keys.id() + "' accepts " + String.join(", ", keys.all());
        throw new ConfigurationException("unknown setting " + path + " " + at(path)
                + closest.map(c -> "; did you mean " + prefix + c + "?").orElse("") + "; " + accepted,
                closest.map(c -> "rename it to " + prefix + c + ", or remove it").orElse("remove it")
                        + " (a backend's settings are the keys its reference.conf declares)");
    }

    /** Leaf paths under {@code kavach}, sorted so that the first error reported is stable. */
    private Set<String> leafPaths() {
        Set<String> paths = new TreeSet<>();
        for (Map.Entry<String, ConfigValue> entry : config.getConfig("kavach").entrySet()) {
            paths.add(entry.getKey());
        }
        return paths;
    }

    private ConfigurationException unknownBackend(String id, String key, Set<String> known, String hint, boolean allowAuto) {
        String suggestion = ClosestMatch.in(known, id).map(s -> "; did you mean '" + s + "'?").orElse("");
        String accepted = (allowAuto ? "auto, " : "") + String.join(", ", known);
        return new ConfigurationException("unknown backend '" + id + "' in " + key + " " + at(key) + suggestion
                + "\n  known backends: " + accepted + (hint.isEmpty() ? "" : "\n  " + hint),
                "use one of: " + accepted + ", or install the plugin that provides '" + id + "' in the plugins directory");
    }

    private SandboxPolicy policy() {
        String preset = text("kavach.policy.preset").trim().toLowerCase(Locale.ROOT);
        if (!SandboxPolicy.PRESETS.contains(preset)) {
            throw invalid("kavach.policy.preset", preset, SandboxPolicy.PRESETS);
        }
        SandboxPolicy policy = SandboxPolicy.preset(preset).withTimeout(duration("kavach.timeout"));
        if (config.hasPath("kavach.policy.cpus")) {
            policy = policy.withCpus(cpus());
        }
        if (config.hasPath("kavach.policy.memory")) {
            policy = policy.withMemoryMiB(memoryMiB());
        }
        if (config.hasPath("kavach.policy.max-pids")) {
            policy = policy.withMaxPids(count("kavach.policy.max-pids"));
        }
        if (config.hasPath("kavach.policy.network")) {
            policy = policy.withNetwork(bool("kavach.policy.network"));
        }
        if (config.hasPath("kavach.policy.read-only-root")) {
            policy = policy.withReadOnlyRoot(bool("kavach.policy.read-only-root"));
        }
        if (config.hasPath("kavach.policy.seccomp")) {
            policy = policy.withSeccomp(seccomp());
        }
        if (config.hasPath("kavach.policy.output-limit")) {
            policy = policy.withOutputLimitBytes(bytes("kavach.policy.output-limit"));
        }
        if (config.hasPath("kavach.policy.max-open-files")) {
            policy = policy.withMaxOpenFiles(count("kavach.policy.max-open-files"));
        }
        if (config.hasPath("kavach.policy.max-file-size")) {
            policy = policy.withMaxFileSizeBytes(bytes("kavach.policy.max-file-size"));
        }
        if (config.hasPath("kavach.policy.transfer-limit")) {
            policy = policy.withTransferLimitBytes(transferLimit());
        }
        return policy;
    }

    private double cpus() {
        String key = "kavach.policy.cpus";
        String value = text(key).trim();
        try {
            double cpus = Double.parseDouble(value);
            if (Double.isFinite(cpus) && cpus >= 0) {
                return cpus;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(key, value);
    }

    private long memoryMiB() {
        String key = "kavach.policy.memory";
        try {
            return MemoryLimit.mebibytes(bytes(key));
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("invalid value '" + text(key) + "' for " + key + " " + at(key) + ": " + e.getMessage(),
                    "set " + key + " to 0 or a size such as 512M");
        }
    }

    /**
     * A size, by the one rule every size setting follows ({@link BackendSettings#parseBytes}): exactly HOCON's
     * units, and text that only Java's number parser reads ({@code NaN}, {@code Infinity}, {@code 5d}) refused,
     * since Typesafe Config would take {@code NaN} for 0 bytes, which for a limit means none.
     */
    private long bytes(String key) {
        String value = text(key).trim();
        try {
            return BackendSettings.parseBytes(value);
        } catch (IllegalArgumentException e) {
            throw value.startsWith("-") ? negative(key, value) : invalid(key, value);
        }
    }

    /** Unlike the other limits, 0 cannot mean "none": a file transfer is always bounded. */
    private long transferLimit() {
        String key = "kavach.policy.transfer-limit";
        long value = bytes(key);
        if (value <= 0) {
            throw new ConfigurationException(key + " = " + text(key).trim() + " " + at(key) + " must be more than 0: file transfers are always bounded",
                    "set a size such as 64M or 1G");
        }
        return value;
    }

    private int count(String key) {
        String value = text(key).trim();
        if (value.startsWith("-")) {
            throw negative(key, value);
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw invalid(key, value);
        }
    }

    private boolean bool(String key) {
        String value = text(key).trim();
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw invalid(key, value);
        };
    }

    private SeccompProfile seccomp() {
        String key = "kavach.policy.seccomp";
        String value = text(key).trim();
        return Arrays.stream(SeccompProfile.values())
                .filter(profile -> profile.name().equalsIgnoreCase(value))
                .findFirst()
                .orElseThrow(() -> invalid(key, value, List.of("none", "basic", "strict")));
    }

    /** A duration parsed by Typesafe Config itself, so that its units are exactly HOCON's; it must be positive. */
    private Duration duration(String key) {
        String value = text(key).trim();
        Duration duration;
        try {
            duration = config.getDuration(key);
        } catch (ConfigException e) {
            throw invalid(key, value);
        }
        if (duration.isNegative()) {
            throw negative(key, value);
        }
        if (duration.isZero()) {
            throw invalid(key, value);
        }
        return duration;
    }

    private Path path(String key, Path workingDirectory) {
        String value = text(key).trim();
        if (value.isEmpty()) {
            throw invalid(key, value);
        }
        try {
            return workingDirectory.resolve(value).toAbsolutePath().normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw invalid(key, value);
        }
    }

    /** A scalar as text; HOCON numbers and booleans arrive as their text. */
    private String text(String key) {
        ConfigValue value = value(key);
        if (value.valueType() == ConfigValueType.OBJECT || value.valueType() == ConfigValueType.LIST) {
            throw new ConfigurationException(key + " " + at(key) + " must be a single value, not " + value.valueType().name().toLowerCase(Locale.ROOT)
                    + "; expected " + SCHEMA.get(key), "set " + key + " to " + SCHEMA.get(key));
        }
        return String.valueOf(value.unwrapped());
    }

    /** A list of ids; a plain string is split at commas so that {@code -Dkavach.fallback=process,noop} works. */
    private List<String> list(String key) {
        ConfigValue value = value(key);
        List<String> items = new ArrayList<>();
        if (value.valueType() == ConfigValueType.LIST) {
            for (ConfigValue item : config.getList(key)) {
                if (item.valueType() == ConfigValueType.OBJECT || item.valueType() == ConfigValueType.LIST) {
                    throw invalid(key, item.render());
                }
                items.add(String.valueOf(item.unwrapped()).trim());
            }
        } else if (value.valueType() == ConfigValueType.STRING) {
            for (String item : String.valueOf(value.unwrapped()).split(",")) {
                if (!item.isBlank()) {
                    items.add(item.trim());
                }
            }
        } else {
            throw invalid(key, value.render());
        }
        return List.copyOf(items);
    }

    private ConfigValue value(String key) {
        try {
            return config.getValue(key);
        } catch (ConfigException.Missing e) {
            // core's reference.conf defines every key, so only an explicit null gets here
            throw new ConfigurationException(key + " is not set " + at(key) + "; expected " + SCHEMA.get(key),
                    "set " + key + " to " + SCHEMA.get(key), e);
        }
    }

    private ConfigurationException invalid(String key, String value) {
        return new ConfigurationException("invalid value '" + value + "' for " + key + " " + at(key) + ": expected " + SCHEMA.get(key),
                "set " + key + " to " + SCHEMA.get(key));
    }

    /** Like {@link #invalid(String, String)}, with a "did you mean" when the value is close to one of {@code choices}. */
    private ConfigurationException invalid(String key, String value, List<String> choices) {
        return ClosestMatch.in(choices, value.toLowerCase(Locale.ROOT))
                .map(s -> new ConfigurationException("invalid value '" + value + "' for " + key + " " + at(key) + ": expected "
                        + SCHEMA.get(key) + "; did you mean '" + s + "'?", "set " + key + " to " + s))
                .orElseGet(() -> invalid(key, value));
    }

    private ConfigurationException negative(String key, String value) {
        return new ConfigurationException("invalid value '" + value + "' for " + key + " " + at(key) + ": must not be negative; expected "
                + SCHEMA.get(key), "set " + key + " to " + SCHEMA.get(key));
    }
}
