package dev.kavach.benchmarks;

import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * What a figure must reach: a ratio over its baseline at most or at least {@code limit}, an absolute
 * value below {@code limit}, or nothing (a figure reported for information).
 */
public record Goal(Kind kind, double limit) {
    public enum Kind { RATIO_AT_MOST, RATIO_AT_LEAST, VALUE_BELOW, NONE }

    public static final Goal NONE = new Goal(Kind.NONE, 0);

    public Goal {
        requireNonNull(kind, "kind is null");
    }

    public static Goal ratioAtMost(double limit) {
        return new Goal(Kind.RATIO_AT_MOST, limit);
    }

    public static Goal ratioAtLeast(double limit) {
        return new Goal(Kind.RATIO_AT_LEAST, limit);
    }

    public static Goal valueBelow(double limit) {
        return new Goal(Kind.VALUE_BELOW, limit);
    }

    /** Whether {@code value} (a ratio or an absolute value, as the kind says) meets the goal. */
    public boolean met(double value) {
        return switch (kind) {
            case RATIO_AT_MOST -> value <= limit;
            case RATIO_AT_LEAST -> value >= limit;
            case VALUE_BELOW -> value < limit;
            case NONE -> true;
        };
    }

    /** E.g. {@code ratio<=1.30}, {@code value<5}, {@code -}. */
    public String describe() {
        return switch (kind) {
            case RATIO_AT_MOST -> String.format(Locale.ROOT, "ratio<=%.2f", limit);
            case RATIO_AT_LEAST -> String.format(Locale.ROOT, "ratio>=%.2f", limit);
            case VALUE_BELOW -> String.format(Locale.ROOT, "value<%s", Figure.number(limit));
            case NONE -> "-";
        };
    }

    static Goal parse(String text) {
        String[] parts = text.split(":", 2);
        return new Goal(Kind.valueOf(parts[0]), Double.parseDouble(parts[1]));
    }

    String encode() {
        return kind.name() + ":" + limit;
    }
}
