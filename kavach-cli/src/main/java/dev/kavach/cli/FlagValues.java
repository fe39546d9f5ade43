package dev.kavach.cli;

import java.time.Duration;
import java.util.Locale;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.SandboxPolicy;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parsers for {@code kavach run}'s policy flags. Each rejects a bad value with what is accepted; picocli
 * adds the flag's name ({@code Invalid value for option '--memory': ...}).
 */
final class FlagValues {
    private static final long MIB = 1024 * 1024;

    private FlagValues() {
    }

    /** {@code --memory 512M}: a size in whole MiB; {@code 0} for no limit. */
    static final class MemoryMiB implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            long bytes;
            try {
                bytes = BackendSettings.parseBytes(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not a size; use e.g. 256M, 2G or 0 for no limit");
            }
            if (bytes % MIB != 0) {
                throw new TypeConversionException("'" + value + "' is not a whole number of MiB; use e.g. 256M, 2G or 0 for no limit");
            }
            return bytes / MIB;
        }
    }

    /** {@code --cpus 1.5}: fractional cores, {@code 0} for no limit. */
    static final class Cpus implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double cpus;
            try {
                cpus = Double.parseDouble(value.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a number; use cores such as 1, 0.5 or 2, or 0 for no limit");
            }
            if (!Double.isFinite(cpus) || cpus < 0) {
                throw new TypeConversionException("'" + value + "' is out of range; use cores >= 0 such as 1, 0.5 or 2 (0 = no limit)");
            }
            return cpus;
        }
    }

    /** {@code --timeout 30s}: a positive duration. */
    static final class Timeout implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration duration;
            try {
                duration = BackendSettings.parseDuration(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not a duration; use e.g. 500ms, 30s, 5m or 1h");
            }
            if (duration.isZero() || duration.isNegative()) {
                throw new TypeConversionException("'" + value + "' is not positive; use e.g. 500ms, 30s, 5m or 1h");
            }
            return duration;
        }
    }

    /** {@code --policy strict}: one of the presets. */
    static final class Preset implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String name = value.trim().toLowerCase(Locale.ROOT);
            if (!SandboxPolicy.PRESETS.contains(name)) {
                throw new TypeConversionException("'" + value + "' is not a policy preset; use one of " + String.join(", ", SandboxPolicy.PRESETS));
            }
            return name;
        }
    }
}
