package dev.kavach.cli;

import java.time.Duration;

/** Formats durations the way users write them in flags and config: {@code 30s}, {@code 1.5s}, {@code 250ms}. */
final class Durations {
    private Durations() {
    }

    static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis < 1000) {
            return millis + "ms";
        }
        if (millis % 1000 == 0) {
            long seconds = millis / 1000;
            if (seconds % 3600 == 0) {
                return seconds / 3600 + "h";
            }
            if (seconds % 60 == 0) {
                return seconds / 60 + "m";
            }
            return seconds + "s";
        }
        return String.format(java.util.Locale.ROOT, "%.3fs", millis / 1000.0).replaceAll("0+s$", "s");
    }
}
