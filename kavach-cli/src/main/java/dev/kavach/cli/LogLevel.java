package dev.kavach.cli;

import java.util.Locale;

import picocli.CommandLine;

/**
 * Configures slf4j-simple before anything logs: warnings and errors by default, everything from debug up
 * with {@code -v}, or the level {@code --log-level} names. Always to stderr: stdout carries the command's
 * output and JSON, which a log line must never corrupt. Explicit {@code -Dorg.slf4j.simpleLogger.*}
 * settings win, except that the log file cannot be pointed at stdout.
 */
final class LogLevel {
    private static final String DEFAULT_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
    private static final String LOG_FILE = "org.slf4j.simpleLogger.logFile";

    /** The levels {@code --log-level} accepts. */
    enum Level { ERROR, WARN, INFO, DEBUG, TRACE }

    /** Reads {@code --log-level}'s value, in any case, and names the accepted ones when it is not one. */
    static final class Converter implements CommandLine.ITypeConverter<Level> {
        @Override
        public Level convert(String value) {
            try {
                return Level.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a log level; use error, warn, info, debug or trace");
            }
        }
    }

    private LogLevel() {
    }

    /** @param level the level asked for, or {@code null} for the default (warn, unless set by a system property) */
    static void configure(Level level) {
        if (level != null) {
            System.setProperty(DEFAULT_LEVEL, level.name().toLowerCase(Locale.ROOT));
        } else if (System.getProperty(DEFAULT_LEVEL) == null) {
            System.setProperty(DEFAULT_LEVEL, "warn");
        }
        if (System.getProperty(LOG_FILE) == null || "System.out".equals(System.getProperty(LOG_FILE))) {
            System.setProperty(LOG_FILE, "System.err");
        }
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showLogName", "true");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
