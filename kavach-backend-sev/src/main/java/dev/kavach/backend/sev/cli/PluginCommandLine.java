package dev.kavach.backend.sev.cli;

import dev.kavach.api.BackendContext;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * The plugin's commands parsed by picocli (bundled in the plugin folder) with the kavach CLI's own conventions:
 * {@code --help} prints the command's usage on stdout with exit 0; a usage error is one line naming what was
 * wrong ({@code kavach attest verify: Unknown option: '--bogus'}), picocli's suggestions, and
 * {@code Try 'kavach attest verify --help' for usage.}, with exit 2.
 */
final class PluginCommandLine {
    /** The exit code of a usage error, as the kavach CLI uses it outside {@code kavach run}. */
    static final int USAGE = 2;

    private PluginCommandLine() {
    }

    /** {@code -h} and {@code --help} on every command. */
    static final class HelpOption {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print this help and exit.")
        boolean help;
    }

    /**
     * The command tree for {@code kavach <root name>}: {@code root} with {@code subcommands} (in order), writing to
     * {@code out} and {@code err}.
     *
     * @param onUsageError also told each usage error's message (for a JSON form on stdout), after it is printed
     */
    static CommandLine create(Object root, Map<String, Object> subcommands, PrintStream out, PrintStream err, Consumer<String> onUsageError) {
        CommandLine cl = new CommandLine(root);
        subcommands.forEach(cl::addSubcommand);
        // Set after the subcommands are added: picocli hands these settings only to the subcommands it already has.
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((ex, args) -> {
            String name = ex.getCommandLine().getCommandSpec().qualifiedName();
            String message = ex.getMessage().replace('\n', ' ');
            err.println(name + ": " + message);
            UnmatchedArgumentException.printSuggestions(ex, err);
            err.println("Try '" + name + " --help' for usage.");
            onUsageError.accept(message);
            return USAGE;
        });
        return cl;
    }

    /**
     * A leaf command: its help option, its spec (for usage errors found after parsing), and the invocation's
     * context and streams, bound before picocli runs it.
     */
    abstract static class Subcommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        HelpOption help;
        BackendContext context;
        PrintStream out;
        PrintStream err;

        /** Binds the command to one invocation's context and streams. */
        Subcommand bind(BackendContext context, PrintStream out, PrintStream err) {
            this.context = context;
            this.out = out;
            this.err = err;
            return this;
        }

        /** Runs this command on its own, as {@code name} (e.g. {@code kavach sev fetch-certs}). */
        int runAlone(String name, List<String> args) {
            CommandLine cl = create(this, Map.of(), out, err, message -> { });
            cl.setCommandName(name);
            return execute(configure(cl), args);
        }

        /** Adjusts the parser for this command; the default changes nothing. */
        CommandLine configure(CommandLine cl) {
            return cl;
        }

        ParameterException usage(String message) {
            return PluginCommandLine.usage(spec, message);
        }
    }

    /** Runs the tree on the arguments after the command's name. */
    static int execute(CommandLine cl, List<String> args) {
        return cl.execute(args.toArray(String[]::new));
    }

    /** A usage error found after parsing (a missing or contradicting option), reported like one picocli found. */
    static ParameterException usage(CommandSpec spec, String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /**
     * A command with subcommands ({@code kavach attest}, {@code kavach sev}): given none, it prints its usage on
     * stderr (exit 2); given an unknown one, it names it and the ones there are.
     */
    abstract static class Root implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        HelpOption help;
        @Parameters(arity = "0..1", paramLabel = "COMMAND", hidden = true)
        String unknown;

        @Override
        public Integer call() {
            if (unknown == null) {
                spec.commandLine().usage(spec.commandLine().getErr());
                return USAGE;
            }
            throw usage(spec, "unknown command '" + unknown + "'; commands: " + String.join(", ", spec.subcommands().keySet()));
        }
    }
}
