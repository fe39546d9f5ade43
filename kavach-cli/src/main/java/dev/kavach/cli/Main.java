package dev.kavach.cli;

import java.io.PrintStream;

/** Entry point of the {@code kavach} command. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    /**
     * Runs {@code kavach args...} in this process with the given streams and returns its exit code, without
     * exiting. Uses this process's environment and working directory.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, Invocation.ofProcess(out, err));
    }

    static int run(String[] args, Invocation invocation) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            // What picocli would print, without the command model it would build first (most of the time it takes).
            for (String line : new CliVersion().getVersion()) {
                invocation.out().println(line);
            }
            invocation.out().flush();
            return ExitCodes.OK;
        }
        int code = KavachCommand.execute(invocation, args);
        invocation.out().flush();
        invocation.err().flush();
        return code;
    }
}
