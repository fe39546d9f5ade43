package dev.kavach.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A backend's settings as plain values: the entries under {@code kavach.backends.<id>}, keys relative to
 * that prefix ({@code "qemu.binary"}, not {@code "kavach.backends.sev.qemu.binary"}). Scalars arrive as
 * their text; lists as lists of text. Typed getters parse on read and fail with a
 * {@link ConfigurationException} that names the full key, where it was set, and what is accepted.
 */
public final class BackendSettings {
    private static final Pattern DURATION = Pattern.compile("\\s*(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|h|d|nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?)?\\s*");
    private static final Pattern SIZE = Pattern.compile("\\s*(\\d+)\\s*([kKmMgGtT]i?[bB]?|[bB]|bytes?)?\\s*");

    private final String prefix;
    private final Map<String, String> values;
    private final Map<String, List<String>> lists;
    private final Map<String, String> origins;

    /**
     * @param prefix  the full path of these settings, e.g. {@code "kavach.backends.sev"}, used in messages
     * @param values  scalar settings by relative key
     * @param lists   list settings by relative key
     * @param origins where each key was set (e.g. {@code "kavach.conf: 12"}), for messages; may be partial
     */
    public BackendSettings(String prefix, Map<String, String> values, Map<String, List<String>> lists, Map<String, String> origins) {
        this.prefix = requireNonNull(prefix, "prefix is null");
        this.values = Map.copyOf(requireNonNull(values, "values is null"));
        this.lists = lists.entrySet().stream().collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> List.copyOf(e.getValue())));
        this.origins = Map.copyOf(requireNonNull(origins, "origins is null"));
    }

    /** Settings without list values or origins, convenient in tests. */
    public static BackendSettings of(String prefix, Map<String, String> values) {
        return new BackendSettings(prefix, values, Map.of(), Map.of());
    }

    public static BackendSettings empty(String prefix) {
        return of(prefix, Map.of());
    }

    public String prefix() {
        return prefix;
    }

    /** Every key present, scalar or list, sorted. */
    public Set<String> keys() {
        Set<String> keys = new TreeSet<>(values.keySet());
        keys.addAll(lists.keySet());
        return keys;
    }

    public Map<String, String> values() {
        return values;
    }

    public Optional<String> string(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public String string(String key, String defaultValue) {
        return values.getOrDefault(key, defaultValue);
    }

    /** A required scalar; fails naming the key when absent. */
    public String require(String key) {
        String value = values.get(key);
        if (value == null) {
            throw new ConfigurationException("missing setting " + fullKey(key), "set " + fullKey(key) + " in kavach.conf");
        }
        return value;
    }

    public List<String> list(String key) {
        List<String> list = lists.get(key);
        if (list != null) {
            return list;
        }
        String scalar = values.get(key);
        return scalar == null ? List.of() : List.of(scalar);
    }

    public int integer(String key, int defaultValue) {
        String value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw invalid(key, value, "an integer, e.g. 4");
        }
    }

    public long longValue(String key, long defaultValue) {
        String value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        try {
            return Long.decode(value.trim());
        } catch (NumberFormatException e) {
            throw invalid(key, value, "an integer, decimal or 0x-prefixed hex, e.g. 0x30000");
        }
    }

    public boolean bool(String key, boolean defaultValue) {
        String value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw invalid(key, value, "true or false");
        };
    }

    public Duration duration(String key, Duration defaultValue) {
        String value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        try {
            return parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw invalid(key, value, "a duration such as 500ms, 30s, 2m or 1h");
        }
    }

    public long bytes(String key, long defaultValue) {
        String value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        try {
            return parseBytes(value);
        } catch (IllegalArgumentException e) {
            throw invalid(key, value, "a size such as 65536, 64K, 512M or 2G (powers of 1024)");
        }
    }

    public Optional<Path> path(String key) {
        return string(key).filter(s -> !s.isBlank()).map(Path::of);
    }

    /** The full key for messages, e.g. {@code kavach.backends.sev.qemu.binary}. */
    public String fullKey(String key) {
        return prefix + "." + key;
    }

    /** Where a key was set, e.g. {@code "kavach.conf: 12"}, or empty if unknown. */
    public String origin(String key) {
        return origins.getOrDefault(key, "");
    }

    /** An exception for a value this backend cannot accept, naming the key, its origin and what is accepted. */
    public ConfigurationException invalid(String key, String value, String accepted) {
        String origin = origin(key);
        return new ConfigurationException(
                "invalid value '" + value + "' for " + fullKey(key) + (origin.isEmpty() ? "" : " (set at " + origin + ")")
                        + ": expected " + accepted,
                "change " + fullKey(key) + " to " + accepted);
    }

    /** Parses a HOCON-style duration: {@code 250ms}, {@code 30s}, {@code 2m}, {@code 1h}; a bare number is milliseconds. */
    public static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(requireNonNull(text, "text is null"));
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: '" + text + "'");
        }
        double amount = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "ms" : m.group(2);
        double nanosPerUnit = switch (unit) {
            case "ns", "nanosecond", "nanoseconds" -> 1;
            case "us", "microsecond", "microseconds" -> 1e3;
            case "ms", "millisecond", "milliseconds" -> 1e6;
            case "s", "second", "seconds" -> 1e9;
            case "m", "minute", "minutes" -> 60e9;
            case "h", "hour", "hours" -> 3600e9;
            case "d", "day", "days" -> 86400e9;
            default -> throw new IllegalArgumentException("unknown duration unit '" + unit + "'");
        };
        return Duration.ofNanos(Math.round(amount * nanosPerUnit));
    }

    /** Parses a size: {@code 65536}, {@code 64K}, {@code 64KiB}, {@code 512M}, {@code 2G}; units are powers of 1024. */
    public static long parseBytes(String text) {
        Matcher m = SIZE.matcher(requireNonNull(text, "text is null"));
        if (!m.matches()) {
            throw new IllegalArgumentException("not a size: '" + text + "'");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        int shift = switch (unit.charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        if (amount > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("size too large: '" + text + "'");
        }
        return amount << shift;
    }

    @Override
    public String toString() {
        return prefix + values + lists;
    }
}
