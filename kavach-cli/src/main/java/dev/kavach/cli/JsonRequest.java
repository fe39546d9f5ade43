package dev.kavach.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;

/**
 * Whether this invocation asked for JSON, and the JSON form of a failure: with {@code --json}, a Kavach failure
 * is also one JSON object on stdout ({@code {"error": {"message", "fix", "type"}, "exit_code"}}), so that a
 * program reading stdout always gets JSON; the exit code is the same as without {@code --json}.
 */
final class JsonRequest {
    /** A command with a {@code --json} option. */
    interface Flag {
        boolean json();
    }

    private JsonRequest() {
    }

    /** Whether {@code --json} appears among Kavach's own arguments (before {@code --}), for failures before parsing ended. */
    static boolean in(String[] args) {
        for (String arg : args) {
            if (arg.equals("--")) {
                return false;
            }
            if (arg.equals("--json")) {
                return true;
            }
        }
        return false;
    }

    static void failure(PrintStream out, String message, String fix, String type, int exitCode) {
        try {
            ResultJson.failure(out, message, fix == null ? "" : fix, type, exitCode);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.println();
        out.flush();
    }
}
