package dev.kavach.cli;

import java.time.Duration;
import java.util.Locale;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.core.MemoryLimit;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parsers for {@code kavach run}'s policy flags. Each rejects a bad value with what is accepted; picocli
 * adds the flag's name ({@code Invalid value for option '--memory': ...}).
 */
final class FlagValues {
    private FlagValues() {
    }

    /** {@code --memory 512M}: a size in HOCON's units, as kavach.policy.memory takes it (rounded up to whole MiB); {@code 0} for no limit. */
    static final class MemoryMiB implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return MemoryLimit.mebibytes(BackendSettings.parseBytes(value));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not a memory limit (" + e.getMessage() + "); use e.g. 256M, 2G or 0 for no limit");
            }
        }
    }

    /**
     * {@code --cpus 1.5}: fractional cores, {@code 0} for no limit. As with {@code docker run --cpus}, at most
     * the CPUs this host has (more cannot be granted), and at least 0.01 (a cgroup quota of 1 ms per 100 ms).
     */
    static final class Cpus implements ITypeConverter<Double> {
        static final double MIN = 0.01;

        @Override
        public Double convert(String value) {
            return check(value, Runtime.getRuntime().availableProcessors());
        }

        static double check(String value, int hostCpus) {
            String range = "use 0 (no limit) or cores from " + MIN + " to " + hostCpus + " (the CPUs this host has), such as 0.5 or 1";
            double cpus;
            try {
                cpus = Double.parseDouble(value.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a number; " + range);
            }
            // NaN fails every comparison, so it lands here with the infinities and the out-of-range.
            if (!(cpus == 0 || cpus >= MIN && cpus <= hostCpus)) {
                throw new TypeConversionException("'" + value + "' is out of range; " + range);
            }
            return cpus;
        }
    }

    /** {@code --timeout 30s}: a positive duration in HOCON's units, as kavach.timeout takes it, at most 106751d (about 292 years). */
    static final class Timeout implements ITypeConverter<Duration> {
        /** The parser saturates at Long.MAX_VALUE nanoseconds; anything there overflowed. */
        static final Duration MAX = Duration.ofDays(106_751);

        @Override
        public Duration convert(String value) {
            Duration duration;
            try {
                duration = BackendSettings.parseDuration(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not a duration (" + e.getMessage() + "); use e.g. 500ms, 30s, 5m or 1h");
            }
            if (duration.isZero() || duration.isNegative()) {
                throw new TypeConversionException("'" + value + "' is not positive; use e.g. 500ms, 30s, 5m or 1h");
            }
            if (duration.compareTo(MAX) > 0) {
                throw new TypeConversionException("'" + value + "' is too long; the longest timeout is " + MAX.toDays() + "d (about 292 years)");
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
