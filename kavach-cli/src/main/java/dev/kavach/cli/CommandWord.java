package dev.kavach.cli;

import java.util.Optional;

/**
 * The command word of a {@code kavach} line: the first argument that is not one of the top-level options
 * ({@link LoadOptions}, help, version). Used to model only the built-in command the line names; when the
 * line holds anything this does not recognise before the word, there is no answer, and every command is
 * modelled as before.
 */
final class CommandWord {
    private CommandWord() {
    }

    static Optional<String> of(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--config", "-D", "--log-level" -> i++; // the value follows
                case "-v", "--verbose", "-h", "--help", "-V", "--version" -> {
                    // a flag of the top-level command
                }
                default -> {
                    if (arg.startsWith("--config=") || arg.startsWith("--log-level=") || arg.startsWith("-D") && arg.length() > 2) {
                        continue; // the value is attached
                    }
                    return arg.startsWith("-") ? Optional.empty() : Optional.of(arg);
                }
            }
        }
        return Optional.empty();
    }
}
