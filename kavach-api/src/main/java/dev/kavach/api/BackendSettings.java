package dev.kavach.api;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A backend's settings as plain values: the entries under {@code kavach.backends.<id>}, keys relative to
 * that prefix ({@code "qemu.binary"}, not {@code "kavach.backends.sev.qemu.binary"}). Scalars arrive as
 * their text; lists as lists of text. Typed getters parse on read and fail with a
 * {@link ConfigurationException} that names the full key, where it was set, and what is accepted.
 */
public final class BackendSettings {
    /** What {@link #bytes} and {@link #parseBytes} accept, for messages. */
    public static final String SIZES = "a size in bytes, or with a HOCON unit: 64K, 64Ki or 64KiB (x1024), 64kB (x1000), "
            + "512M or 512MiB (x1024^2), 512MB (x1000^2), 2G, 2GB";
    /** What {@link #duration} and {@link #parseDuration} accept, for messages. */
    public static final String DURATIONS = "a duration such as 500ms, 30s, 2 minutes or 1h (a bare number is milliseconds)";

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
        Duration duration;
        try {
            duration = parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw invalid(key, value, DURATIONS);
        }
        if (duration.isNegative()) {
            throw invalid(key, value, "a duration of 0 or more: " + DURATIONS.substring("a duration ".length()));
        }
        return duration;
    }

    public long bytes(String key, long defaultValue) {
        String value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        long bytes;
        try {
            bytes = parseBytes(value);
        } catch (IllegalArgumentException e) {
            throw invalid(key, value, SIZES);
        }
        return bytes;
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

    /**
     * Parses a duration exactly as HOCON (Typesafe Config's {@code getDuration}) does: a number, then an optional
     * unit of {@code ns, us, ms, s, m, h, d} or their long names ({@code nanos}, {@code millis}, {@code second},
     * {@code minutes}...); no unit means milliseconds; a fraction is allowed ({@code 1.5s}); case matters. The
     * host's tests compare it with Typesafe Config's own parser; it lives here because a plugin sees its
     * settings as text and kavach-api depends on nothing.
     *
     * @throws IllegalArgumentException when {@code text} is not a duration
     */
    public static Duration parseDuration(String text) {
        String s = hoconTrim(requireNonNull(text, "text is null"));
        String unit = trailingLetters(s);
        String number = hoconTrim(s.substring(0, s.length() - unit.length()));
        if (number.isEmpty()) {
            throw new IllegalArgumentException("no number in duration '" + text + "'");
        }
        if (unit.length() > 2 && !unit.endsWith("s")) {
            unit = unit + "s"; // "minute" -> "minutes", as HOCON does
        }
        TimeUnit timeUnit = switch (unit) {
            case "", "ms", "millis", "milliseconds" -> TimeUnit.MILLISECONDS;
            case "us", "micros", "microseconds" -> TimeUnit.MICROSECONDS;
            case "ns", "nanos", "nanoseconds" -> TimeUnit.NANOSECONDS;
            case "d", "days" -> TimeUnit.DAYS;
            case "h", "hours" -> TimeUnit.HOURS;
            case "s", "seconds" -> TimeUnit.SECONDS;
            case "m", "minutes" -> TimeUnit.MINUTES;
            default -> throw new IllegalArgumentException("unknown time unit '" + unit + "' in '" + text + "' (try ns, us, ms, s, m, h, d)");
        };
        try {
            // whole numbers exactly; others through double, as HOCON does (both saturate at Long.MAX_VALUE ns)
            long nanos = number.matches("[+-]?[0-9]+")
                    ? timeUnit.toNanos(Long.parseLong(number))
                    : (long) (Double.parseDouble(number) * timeUnit.toNanos(1));
            return Duration.ofNanos(nanos);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: '" + number + "' in duration '" + text + "'");
        }
    }

    /**
     * Parses a size exactly as HOCON (Typesafe Config's {@code getBytes}) does: a number, then an optional unit.
     * {@code K}, {@code k}, {@code Ki}, {@code KiB}, {@code kibibytes} are powers of 1024 (and so on for M, G, T,
     * P, E, Z, Y); {@code kB}, {@code MB}, {@code GB}, {@code kilobytes}, {@code megabytes} are powers of 1000;
     * {@code B}, {@code b}, {@code byte}, {@code bytes} or nothing mean bytes. Case matters: {@code 512mb} is not
     * a size. A fraction is allowed ({@code 1.5G}), rounded toward zero; a negative size is refused. The host's
     * tests compare it with Typesafe Config's own parser. One deviation: text that only Java's number parser
     * reads ({@code NaN}, {@code Infinity}, {@code 5d}, {@code 0x1p3}) is refused, where Typesafe Config would
     * read {@code NaN} as 0 bytes.
     *
     * @throws IllegalArgumentException when {@code text} is not a size or does not fit in a long
     */
    public static long parseBytes(String text) {
        requireNonNull(text, "text is null");
        if (JSON_NUMBER.matcher(text.trim()).matches()) {
            // a string that is a number is that number of bytes, read as Typesafe Config reads it: a long
            // exactly, else a double truncated toward zero (saturating, so 1e30 is Long.MAX_VALUE)
            long bytes;
            try {
                bytes = Long.parseLong(text);
            } catch (NumberFormatException e) {
                bytes = (long) Double.parseDouble(text);
            }
            return requireNotNegative(bytes, text);
        }
        String s = hoconTrim(text);
        String unit = trailingLetters(s);
        String number = hoconTrim(s.substring(0, s.length() - unit.length()));
        if (number.isEmpty()) {
            throw new IllegalArgumentException("no number in size '" + text + "'");
        }
        BigInteger perUnit = SIZE_UNITS.get(unit);
        if (perUnit == null) {
            throw new IllegalArgumentException("unknown size unit '" + unit + "' in '" + text + "' (try k, K, kB, KiB, kilobytes, kibibytes)");
        }
        BigInteger bytes;
        try {
            if (number.matches("[0-9]+")) {
                bytes = perUnit.multiply(new BigInteger(number));
            } else {
                BigDecimal amount = new BigDecimal(number);
                // 1e999999999 would take HOCON minutes to expand and still be out of range: refuse it at once
                if (amount.precision() - amount.scale() > 40) {
                    throw new IllegalArgumentException("size '" + text + "' does not fit in 64 bits");
                }
                bytes = new BigDecimal(perUnit).multiply(amount).toBigInteger();
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("not a number: '" + number + "' in size '" + text + "'");
        }
        if (bytes.bitLength() >= 64) {
            throw new IllegalArgumentException("size '" + text + "' does not fit in 64 bits");
        }
        return requireNotNegative(bytes.longValue(), text);
    }

    /** A JSON number, which HOCON reads as a number wherever one is asked for. */
    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    private static long requireNotNegative(long bytes, String text) {
        if (bytes < 0) {
            throw new IllegalArgumentException("size '" + text + "' is negative");
        }
        return bytes;
    }

    /** HOCON's size units: every spelling Typesafe Config accepts, with its number of bytes. */
    private static final Map<String, BigInteger> SIZE_UNITS = sizeUnits();

    private static Map<String, BigInteger> sizeUnits() {
        Map<String, BigInteger> units = new HashMap<>();
        for (String bytes : new String[] {"", "b", "B", "byte", "bytes"}) {
            units.put(bytes, BigInteger.ONE);
        }
        String[] decimal = {"kilo", "mega", "giga", "tera", "peta", "exa", "zetta", "yotta"};
        String[] binary = {"kibi", "mebi", "gibi", "tebi", "pebi", "exbi", "zebi", "yobi"};
        for (int i = 0; i < decimal.length; i++) {
            BigInteger thousands = BigInteger.valueOf(1000).pow(i + 1);
            units.put(decimal[i] + "byte", thousands);
            units.put(decimal[i] + "bytes", thousands);
            String first = decimal[i].substring(0, 1);
            units.put((i == 0 ? first : first.toUpperCase(Locale.ROOT)) + "B", thousands); // kB, MB, GB...
            BigInteger kibis = BigInteger.valueOf(1024).pow(i + 1);
            units.put(binary[i] + "byte", kibis);
            units.put(binary[i] + "bytes", kibis);
            String letter = binary[i].substring(0, 1);
            String upper = letter.toUpperCase(Locale.ROOT);
            units.put(letter, kibis);             // 512m
            units.put(upper, kibis);              // 512M
            units.put(upper + "i", kibis);        // 512Mi
            units.put(upper + "iB", kibis);       // 512MiB
        }
        return Map.copyOf(units);
    }

    /** The unit: the letters at the end of {@code s}. */
    private static String trailingLetters(String s) {
        int i = s.length() - 1;
        while (i >= 0 && Character.isLetter(s.charAt(i))) {
            i--;
        }
        return s.substring(i + 1);
    }

    /** Trims whitespace as HOCON does: Java whitespace plus the no-break spaces and the byte-order mark. */
    private static String hoconTrim(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isHoconWhitespace(s.codePointAt(start))) {
            start += Character.charCount(s.codePointAt(start));
        }
        while (end > start && isHoconWhitespace(s.codePointBefore(end))) {
            end -= Character.charCount(s.codePointBefore(end));
        }
        return s.substring(start, end);
    }

    private static boolean isHoconWhitespace(int codePoint) {
        return switch (codePoint) {
            case ' ', '\n', '\u00A0', '\u2007', '\u202F', '\uFEFF' -> true;
            default -> Character.isWhitespace(codePoint);
        };
    }

    @Override
    public String toString() {
        return prefix + values + lists;
    }
}
