package dev.kavach.cli;

/**
 * Configures slf4j-simple before anything logs: warnings and errors to stderr by default, everything from
 * debug up with {@code --verbose}. Explicit {@code -Dorg.slf4j.simpleLogger.*} settings win.
 */
final class LogLevel {
    private static final String DEFAULT_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    private LogLevel() {
    }

    static void configure(boolean verbose) {
        if (verbose) {
            System.setProperty(DEFAULT_LEVEL, "debug");
        } else if (System.getProperty(DEFAULT_LEVEL) == null) {
            System.setProperty(DEFAULT_LEVEL, "warn");
        }
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
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
