package dev.kavach.api;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What to run: an argument vector passed to {@code execve} as is (never re-split, never through a shell),
 * or a script the caller explicitly wants run by a shell.
 */
public sealed interface Command {
    /** The argument vector a backend executes. */
    List<String> argv();

    /** Runs {@code args[0]} with the remaining arguments, exactly as given. */
    record Argv(List<String> args) implements Command {
        public Argv {
            args = List.copyOf(requireNonNull(args, "args is null"));
            if (args.isEmpty()) {
                throw new IllegalArgumentException("argv must name a program: it is empty");
            }
            for (String arg : args) {
                if (arg.indexOf('\0') >= 0) {
                    throw new IllegalArgumentException("argument contains a NUL byte, which execve cannot pass: " + arg.replace('\0', '?'));
                }
            }
        }

        @Override
        public List<String> argv() {
            return args;
        }
    }

    /** Runs {@code script} with {@code shell -c}; the caller chose a shell, so shell syntax is intended. */
    record ShellScript(String script, String shell) implements Command {
        public ShellScript {
            requireNonNull(script, "script is null");
            requireNonNull(shell, "shell is null");
            if (script.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("shell script contains a NUL byte");
            }
        }

        public ShellScript(String script) {
            this(script, "/bin/sh");
        }

        @Override
        public List<String> argv() {
            return List.of(shell, "-c", script);
        }
    }
}
