package dev.kavach.api;

/** The two output streams of a command. */
public enum StdStream {
    STDOUT,
    STDERR
}
