package dev.kavach.cli;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Quotes an argument vector for display (for {@code --dry-run}), so that a reader can paste it into a
 * POSIX shell and get exactly the same arguments. Display only: Kavach never runs a shell string it built.
 */
final class ShellQuote {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");

    private ShellQuote() {
    }

    static String join(List<String> argv) {
        StringBuilder out = new StringBuilder();
        for (String arg : argv) {
            if (!out.isEmpty()) {
                out.append(' ');
            }
            out.append(quote(arg));
        }
        return out.toString();
    }

    static String quote(String arg) {
        if (SAFE.matcher(arg).matches()) {
            return arg;
        }
        // Inside single quotes nothing is special except the quote itself: close, escape it, reopen.
        return "'" + arg.replace("'", "'\\''") + "'";
    }
}
